from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from accounts.readiness import ORDER as READINESS_ORDER, Readiness
from accounts.selectors import court_ids_for_user, readiness_counts, readiness_totals
from accounts.models import CmecfAccount


@login_required
def home(request):
    """A first overview: readiness of the courts the user administers (the dashboard replaces it)."""
    court_ids = court_ids_for_user(request.user)
    accounts = CmecfAccount.objects.all() if court_ids is None else CmecfAccount.objects.filter(court_id__in=court_ids)
    totals = readiness_totals(readiness_counts(accounts))
    rows = [(Readiness.label_of(state), totals[state]) for state in READINESS_ORDER]
    return render(request, "rollout/home.html", {"rows": rows, "total": sum(totals.values())})
