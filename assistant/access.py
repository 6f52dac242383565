"""Who may do what: a reader asks and lists documents; an administrator also uploads, replaces and deletes.

Two keys, not a user list: the office hands one key to every official who reads and keeps the other with the
one or two people who change the archive; a user list would need a user store, password hashing and a way to
manage it, which a reverse proxy or the office SSO does better (README, Deployment).

- No key set: everything is open (the default ``make run`` on 127.0.0.1, as before roles existed).
- ``ASSISTANT_API_KEY`` (reader): when set, reading needs it (the admin key also reads).
- ``ASSISTANT_ADMIN_KEY`` (admin): when any key is set, changing needs this key; with only the reader key
  set, nobody changes documents over HTTP (the CLI on the server still does).

The chat logs in with Gradio's own login: user ``reader`` with the reader key, user ``admin`` with the
admin key. The local shell is the administrator: the CLI needs no key.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Literal

Role = Literal["reader", "admin"]
READER_LOGIN = "reader"
ADMIN_LOGIN = "admin"


@dataclass(frozen=True)
class Refusal:
    """Why a request may not go on: the HTTP status (401: who are you?, 403: not allowed) and the message."""

    status: Literal[401, 403]
    message: str


@dataclass(frozen=True)
class Access:
    reader_key: str | None = None
    admin_key: str | None = None

    @property
    def locked(self) -> bool:
        """Whether any key is set: then the chat asks for a login."""
        return bool(self.reader_key or self.admin_key)

    def check_bearer(self, authorization: str | None, need: Role) -> Refusal | None:
        """Why a request with this Authorization header may not act as ``need`` (None: it may)."""
        if need == "reader" and not self.reader_key:
            return None
        if need == "admin" and not self.locked:
            return None
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            key = "ASSISTANT_ADMIN_KEY" if need == "admin" else "ASSISTANT_API_KEY"
            return Refusal(401, f"Missing API key: send the header 'Authorization: Bearer <{key}>'.")
        if _same(token, self.admin_key):
            return None
        if _same(token, self.reader_key):
            if need == "reader":
                return None
            if not self.admin_key:
                return Refusal(
                    403,
                    "Changing documents over the API is disabled: ASSISTANT_ADMIN_KEY is not set on the server. "
                    "Set it and restart, or use the `assistant` command on the server.",
                )
            return Refusal(
                403,
                "This key may read but not change documents: uploading and deleting need ASSISTANT_ADMIN_KEY.",
            )
        return Refusal(
            401,
            "Wrong API key: the bearer token matches no key of this server (ASSISTANT_API_KEY reads, "
            "ASSISTANT_ADMIN_KEY also uploads and deletes).",
        )

    def login(self, username: str, password: str) -> bool:
        """Gradio's login check: ``admin`` with the admin key, ``reader`` with the reader key."""
        user = (username or "").strip().lower()
        if user == ADMIN_LOGIN:
            return _same(password, self.admin_key)
        if user == READER_LOGIN:
            return _same(password, self.reader_key)
        return False

    def ui_role(self, username: str | None) -> Role | None:
        """The role of a chat session: its login's, or admin when nothing is locked (None: not logged in)."""
        if not self.locked:
            return "admin"
        user = (username or "").strip().lower()
        if user == ADMIN_LOGIN and self.admin_key:
            return "admin"
        if user == READER_LOGIN and self.reader_key:
            return "reader"
        return None

    def login_message(self) -> str:
        """What the login page says (HTML): which user name goes with which key. Gradio's login page does not
        load the page script that puts its own labels in Vietnamese, so the message names them."""
        lines = ["<b>Đăng nhập</b> để dùng trợ lý: ô <i>username</i> là tên đăng nhập, ô <i>password</i> là mật khẩu, "
                 "rồi bấm <i>Login</i>."]
        if self.reader_key:
            lines.append("Cán bộ tra cứu: tên đăng nhập <b>reader</b>, mật khẩu là khoá tra cứu.")
        if self.admin_key:
            lines.append("Quản trị viên (nạp, xoá văn bản): tên đăng nhập <b>admin</b>, mật khẩu là khoá quản trị.")
        return "<br>".join(lines)


def _same(given: str, key: str | None) -> bool:
    if not key:
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), key.encode("utf-8"))
