from org_webhooks.services import deliveries_create, deliveries_create_many


def deliveries_create_on_change(sender, *, change, **kwargs):
    """Each organization change becomes a delivery per subscribed endpoint, in the change's transaction."""
    deliveries_create(change=change)


def deliveries_create_on_changes(sender, *, changes, **kwargs):
    """``organization_changed_many``: the deliveries of many changes at once, in their transaction."""
    deliveries_create_many(changes=changes)
