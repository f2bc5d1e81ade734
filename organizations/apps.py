from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "organizations"
    verbose_name = "Organizations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from config.person_cache import person_row_changed
        from organizations.access_cache import organization_saved
        from organizations.models import Membership, Organization

        # What every request reads about its person is cached (organizations.access_cache); these drop it.
        post_save.connect(person_row_changed, sender=Membership, dispatch_uid="organizations_membership_saved")
        post_delete.connect(person_row_changed, sender=Membership, dispatch_uid="organizations_membership_deleted")
        post_save.connect(organization_saved, sender=Organization, dispatch_uid="organizations_organization_saved")
