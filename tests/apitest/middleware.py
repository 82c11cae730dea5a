"""A middleware that raises on one path: errors raised in middleware must become problem+json."""


class ExplodingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/explode-in-middleware":
            raise RuntimeError("middleware exploded: password=hunter2 SELECT * FROM secrets")
        return self.get_response(request)
