from org_webhooks.services import deliveries_create


def deliveries_create_on_change(sender, *, change, **kwargs):
    """Each organization change becomes a delivery per subscribed endpoint, in the change's transaction."""
    deliveries_create(change=change)
