from django.urls import path

from config.routers import ApiRouter
from tasks_app import views

router = ApiRouter()
router.register("tasks", views.TaskViewSet, basename="task")

trash = views.TrashViewSet.as_view({"get": "list"})
restore_task = views.TrashViewSet.as_view({"post": "restore_task"})
restore_comment = views.TrashViewSet.as_view({"post": "restore_comment"})

urlpatterns = [
    *router.urls,
    path("organizations/<uuid:organization_id>/trash", trash, name="trash-list"),
    path(
        "organizations/<uuid:organization_id>/trash/tasks/<uuid:item_id>/restore",
        restore_task,
        name="trash-task-restore",
    ),
    path(
        "organizations/<uuid:organization_id>/trash/comments/<uuid:item_id>/restore",
        restore_comment,
        name="trash-comment-restore",
    ),
]
