"""Browser pages of the campaigns app (the API lives in urls.py)."""

urlpatterns: list = []
