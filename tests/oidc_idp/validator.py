import time

from oauth2_provider.oauth2_validators import OAuth2Validator


class Validator(OAuth2Validator):
    oidc_claim_scope = None  # every claim below, whatever scopes were asked

    def get_additional_claims(self, request):
        user = request.user
        return {"email": user.email, "preferred_username": user.username,
                "email_verified": not user.username.startswith("unverified-")}

    def get_id_token_dictionary(self, token, token_handler, request):
        claims, expiration_time = super().get_id_token_dictionary(token, token_handler, request)
        if request.user.username.startswith("wrongaud-"):
            claims["aud"] = "another-application"
        if request.user.username.startswith("expired-"):
            claims["exp"] = int(time.time()) - 3600
        return claims, expiration_time
