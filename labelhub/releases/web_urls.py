"""Browser pages of the releases app (the API lives in urls.py)."""

urlpatterns: list = []
