"""Browser pages of the analytics app (the API lives in urls.py)."""

urlpatterns: list = []
