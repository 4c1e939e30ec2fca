"""Security headers on every response: a Content-Security-Policy that Dash runs under,
who may frame the app, what a link tells other sites, no MIME sniffing, and HSTS when
the settings turn it on.

`add_security_headers(app, settings)` adds them to every response the server sends:
pages, callback responses, component scripts, assets, `/healthz`, 404s and the 4xx
of refused requests. A response that already has one of these headers keeps it, so a
route of yours can set its own. The settings (`FRAME_ANCESTORS`, `CSP_EXTRA_SOURCES`,
`CSP_MODE`, `CSP_UNSAFE_EVAL`, `HSTS_SECONDS`) relax or tighten them; see
docs/template.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from dash import Dash
from flask import Response

from .settings import Settings

#: The policy before Dash's script hashes, `FRAME_ANCESTORS` and `CSP_EXTRA_SOURCES`:
#: everything from the app's own origin, nothing inline but what is listed here.
BASE_POLICY: Final[dict[str, tuple[str, ...]]] = {
    "default-src": ("'self'",),
    # Plus the hash of each inline script Dash writes into the page (the renderer's
    # start, clientside callbacks): `app.csp_hashes()`, on every response. And
    # 'unsafe-eval' unless CSP_UNSAFE_EVAL=0: Plotly draws WebGL traces (Scattergl:
    # GraphAIO's scatter from 5,000 points, Plotly Express' from 1,000) with regl, which
    # compiles its drawing code with `new Function`; without it the chart shows
    # "WebGL is not supported". Nothing else here needs it: dash-ag-grid parses
    # `{"function": ...}` props (GridAIO's valueFormatter) without eval.
    "script-src": ("'self'",),
    # Dash's renderer, its core components, Plotly.js and AG Grid add <style> tags
    # and style attributes at run time (dozens per page): no hash can follow them.
    "style-src": ("'self'", "'unsafe-inline'"),
    # AG Grid's theme draws an icon from a data: URL; Plotly's "Download plot as a
    # png" button draws the chart from a blob: URL (the page's own data).
    "img-src": ("'self'", "data:", "blob:"),
    "font-src": ("'self'",),
    "connect-src": ("'self'",),
    # No plugin content, no <base> that would redirect relative URLs elsewhere, no
    # form posted to another site.
    "object-src": ("'none'",),
    "base-uri": ("'self'",),
    "form-action": ("'self'",),
}
REFERRER_POLICY: Final = "strict-origin-when-cross-origin"


def add_security_headers(app: Dash, settings: Settings) -> None:
    """Give every response of `app` the security headers `settings` call for."""

    def add(response: Response) -> Response:
        # Hashed on each response (microseconds): a clientside callback declared after
        # the first request still gets its hash.
        headers = security_headers(settings, app.csp_hashes())
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

    app.server.after_request(add)


def security_headers(
    settings: Settings, script_hashes: Sequence[str]
) -> dict[str, str]:
    """The headers, by name, for inline scripts of `script_hashes` ('sha256-...')."""
    frame_ancestors = " ".join(settings.frame_ancestors)
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": REFERRER_POLICY,
    }
    # X-Frame-Options, for browsers without frame-ancestors, names no other origin.
    if settings.frame_ancestors == ("'self'",):
        headers["X-Frame-Options"] = "SAMEORIGIN"
    elif settings.frame_ancestors == ("'none'",):
        headers["X-Frame-Options"] = "DENY"
    policy = content_security_policy(settings, script_hashes)
    if settings.csp_mode == "enforce":
        headers["Content-Security-Policy"] = policy
    else:
        # Browsers ignore frame-ancestors in a report-only policy: framing stays
        # enforced in a policy of its own, whatever the mode.
        headers["Content-Security-Policy"] = f"frame-ancestors {frame_ancestors}"
        if settings.csp_mode == "report-only":
            headers["Content-Security-Policy-Report-Only"] = policy
    if settings.hsts_seconds:
        headers["Strict-Transport-Security"] = f"max-age={settings.hsts_seconds}"
    return headers


def content_security_policy(settings: Settings, script_hashes: Sequence[str]) -> str:
    """`BASE_POLICY` with `script_hashes`, `CSP_EXTRA_SOURCES` and `FRAME_ANCESTORS`."""
    policy = {name: list(sources) for name, sources in BASE_POLICY.items()}
    # Sorted: the same scripts give the same policy whatever order an app met them in.
    policy["script-src"].extend(sorted(script_hashes))
    if settings.csp_unsafe_eval:
        policy["script-src"].append("'unsafe-eval'")
    # default-src first: a directive the policy lacks falls back to it, so it starts
    # from default-src's sources (widened) before its own are added.
    extra = sorted(
        settings.csp_extra_sources, key=lambda pair: pair[0] != "default-src"
    )
    for directive, source in extra:
        sources = policy.setdefault(directive, list(policy["default-src"]))
        _add_source(sources, source)
    policy["frame-ancestors"] = list(settings.frame_ancestors)
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in policy.items())


def _add_source(sources: list[str], source: str) -> None:
    """Add `source` to a directive's `sources`, once."""
    if source not in sources:
        sources.append(source)
