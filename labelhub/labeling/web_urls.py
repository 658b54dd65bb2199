"""Browser pages of the labeling app (the API lives in urls.py)."""

urlpatterns: list = []
