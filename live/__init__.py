"""Live updates: the Server-Sent Events stream of what changes in a person's organizations."""
