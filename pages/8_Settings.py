"""Settings: personal access tokens for scripts and AI assistants (MCP), and how to connect one."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from core.auth.access_token_schemas import DEFAULT_EXPIRY_DAYS, MAX_EXPIRY_DAYS, AccessTokenCreate, TokenScope
from core.auth.access_tokens import create_personal_token, list_personal_tokens, revoke_personal_token
from ui.auth import require_login
from ui.feedback import shown_errors
from ui.loaders import call_as, current_settings
from ui.tables import readable

NEW_TOKEN_KEY = "settings_new_token"  # the secret, kept for exactly one run after creation
FLASH_KEY = "settings_flash"
ACCESS = {"Read only": [TokenScope.READ], "Read and write (record activities)": [TokenScope.READ, TokenScope.WRITE]}

account = require_login("Settings")
st.title("Settings")
st.subheader("Personal access tokens")
st.caption(
    "A token lets a script or an AI assistant (an MCP client such as Claude Desktop) act as you: "
    "it sees only your portfolio, with your role. Send it as `Authorization: Bearer <token>`."
)
if flash := st.session_state.pop(FLASH_KEY, None):
    st.success(flash)
if secret := st.session_state.pop(NEW_TOKEN_KEY, None):
    st.warning("Copy your new token now: it is shown only this once and stored only as a hash.")
    st.code(secret, language=None)

with st.form("create_token", clear_on_submit=True):
    name = st.text_input("Name", placeholder="e.g. Claude Desktop", key="token_name")
    # A token never does more than its user's role: a viewer's tokens are read-only.
    choices = ["Read only"] if account.role == "viewer" else list(ACCESS)
    access = st.radio("Access", choices, key="token_access", horizontal=True)
    days = st.number_input(
        "Expires after (days)", min_value=1, max_value=MAX_EXPIRY_DAYS, value=DEFAULT_EXPIRY_DAYS, key="token_days"
    )
    if st.form_submit_button("Create token", type="primary"):
        with shown_errors("create the token"):
            data = AccessTokenCreate(name=name, scopes=ACCESS[access], expires_in_days=int(days))
            created = call_as(account.id, create_personal_token, user_arg="user", data=data)
            st.session_state[NEW_TOKEN_KEY] = created.token
            st.session_state[FLASH_KEY] = f"Token “{created.name}” created."
            st.rerun()

with shown_errors("list your tokens"):
    tokens = call_as(account.id, list_personal_tokens, user_arg="user")
    if not tokens:
        st.info("You have no tokens yet. Create one above to connect an assistant.")
    else:
        st.dataframe(
            readable(
                pd.DataFrame(
                    [
                        {
                            "Name": t.name,
                            "Token": f"{t.token_prefix}…",
                            "Scopes": ", ".join(t.scopes),
                            "Status": t.status,
                            "Created": t.created_at.strftime("%Y-%m-%d %H:%M") if t.created_at else None,
                            "Expires": t.expires_at.strftime("%Y-%m-%d") if t.expires_at else "never",
                            "Last used": t.last_used_at.strftime("%Y-%m-%d %H:%M") if t.last_used_at else None,
                        }
                        for t in tokens
                    ]
                )
            ),
            hide_index=True,
            width="stretch",
        )
        active = {f"{t.name} ({t.token_prefix}…)": t for t in tokens if t.status == "active"}
        if active:
            choice = active[st.selectbox("Token to revoke", list(active), key="revoke_choice")]
            if st.button("Revoke", key="revoke_token"):
                with shown_errors("revoke the token"):
                    call_as(account.id, revoke_personal_token, user_arg="user", token_id=choice.id)
                    st.session_state[FLASH_KEY] = f"Token “{choice.name}” revoked; it is refused from now on."
                    st.rerun()

st.subheader("Connect an MCP client")
settings = current_settings()
st.caption("Claude Desktop (claude_desktop_config.json) or any client that starts a local server over stdio:")
desktop = {
    "mcpServers": {
        "stockcast": {
            "command": "python",
            "args": ["-m", "mcp_server"],
            "cwd": "/path/to/stockcast",
            "env": {"MCP_TOKEN": "<your token>", "DATABASE_URL": "<as in your .env>"},
        }
    }
}
st.code(json.dumps(desktop, indent=2), language="json")
st.caption(
    f"Over HTTP (`python -m mcp_server --transport http`): `http://{settings.mcp_host}:{settings.mcp_port}/mcp`, "
    "with the header `Authorization: Bearer <your token>`."
)
