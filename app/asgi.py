"""The base of the ASGI middleware: acts on HTTP requests, passes anything else through."""

from starlette.types import ASGIApp, Receive, Scope, Send


class HttpMiddleware:
    """ASGI middleware whose `handle` sees each HTTP request it does not let `pass_on`;
    lifespan and websocket scopes go straight to the application."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.pass_on(scope):
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    def pass_on(self, scope: Scope) -> bool:
        """Whether this HTTP request goes straight to the application."""
        return False

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer (or pass on) one HTTP request."""
        raise NotImplementedError
