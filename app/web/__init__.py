"""The buyer search page at `/`: static files served by the service itself (no build step)."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

STATIC = Path(__file__).parent / "static"
# Where the page's modules and styles are served from.
ASSETS_URL = "/web"
# The page runs this origin's scripts and styles only (no inline code, no CDN) and talks to
# this origin's API only.
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class PageAssets(StaticFiles):
    """The page's files, revalidated on every use (a cheap 304), so a new release is never
    mixed with modules of the previous one from a browser's cache."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["cache-control"] = "no-cache"
        return response


def install_web(app: FastAPI) -> None:
    """`GET /`: the search page; `/web/...`: its modules and styles."""

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    async def search_page() -> FileResponse:
        """The buyer search page."""
        return FileResponse(
            STATIC / "index.html",
            headers={"content-security-policy": PAGE_CSP, "cache-control": "no-cache"},
        )

    app.mount(ASSETS_URL, PageAssets(directory=STATIC), name="web")
