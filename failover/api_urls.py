"""/api/v1/groups/: mounted under the API's prefix in ddns/urls.py."""

from rest_framework.routers import SimpleRouter

from failover import api

router = SimpleRouter()
router.register("groups", api.GroupViewSet, basename="api-group")

urlpatterns = router.urls
