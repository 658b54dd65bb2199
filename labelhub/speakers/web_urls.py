"""Browser pages of the speakers app (the API lives in urls.py)."""

urlpatterns: list = []
