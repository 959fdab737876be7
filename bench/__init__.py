"""`make bench`: the service, a naive Flask + Keras peer and the HTTP floor, under one client load."""
