"""The demo: the storyline, the demo month, and the sample stores, customers and events they are made of."""
