from config.routers import ApiRouter
from tasks_app import views

router = ApiRouter()
router.register("tasks", views.TaskViewSet, basename="task")

urlpatterns = router.urls
