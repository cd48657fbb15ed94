"""One date style across the product: what Django formats (the admin's read-only and list values,
template |date without an argument) reads as the dashboards, exports and emails' facts do — ISO
dates (2026-12-21) and 24-hour times with the zone named."""
DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i T"
SHORT_DATETIME_FORMAT = "Y-m-d H:i T"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "F j"
