"""The server's settings (issue 4, section 4): nothing in .streamlit/config.toml weakens the page.

Streamlit's XSRF protection and CORS stay on, the XSRF cookie keeps its SameSite default, and a
visitor never sees a traceback. The last test asks the running server rather than the file.
"""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from streamlit import config as streamlit_config
from streamlit.config import ShowErrorDetailsConfigOptions

from tests.helpers import read_config


@pytest.fixture(scope="module")
def settings() -> dict[str, object]:
    """Every setting of config.toml as "section.name": value, the way Streamlit names them."""
    parsed = read_config()
    return {
        f"{section}.{name}": value
        for section, options in parsed.items()
        for name, value in options.items()
    }


def test_every_setting_is_one_streamlit_knows(settings):
    """A misspelt setting is silently ignored, so a safe-looking line could protect nothing."""
    known = streamlit_config.get_config_options()
    assert [key for key in settings if key not in known] == []


def test_xsrf_protection_and_cors_stay_on(settings):
    assert settings.get("server.enableXsrfProtection", True) is True
    assert settings.get("server.enableCORS", True) is True
    assert str(settings.get("server.xsrfCookieSameSite", "lax")).lower() != "none"
    assert "*" not in settings.get("server.corsAllowedOrigins", [])


def test_a_visitor_never_sees_a_traceback(settings):
    # "full" (the default) and "stacktrace" send the traceback to the browser; "type" and
    # "none" keep it in the server log.
    hidden = {ShowErrorDetailsConfigOptions.TYPE.value, ShowErrorDetailsConfigOptions.NONE.value}
    assert settings.get("client.showErrorDetails") in hidden


def test_the_running_server_refuses_an_upload_without_its_xsrf_token(app_url):
    """A cross-site page cannot post a file: the upload endpoint wants the XSRF token first."""
    request = urllib.request.Request(
        f"{app_url}/_stcore/upload_file/some-session/some-file",
        data=b"--x--\r\n",
        method="PUT",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403
