"""Services: the product's behaviour, platform-neutral. Faces call these with an :class:`Actor`."""
