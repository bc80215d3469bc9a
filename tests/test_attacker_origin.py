"""`python app.py` serves the attacker's origin too: a separate app on a second port."""
import urllib.request

from bench.app_process import Server


def test_app_py_serves_the_attacker_origin_beside_the_lab(tmp_path):
    server = Server(str(tmp_path / "instance"))
    try:
        assert f"127.0.0.1:{server.attacker_port}" in server.log()
        for host, kind in (("127.0.0.1", "cross-site"), ("localhost", "same-site, cross-origin")):
            req = urllib.request.Request(f"http://{host}:{server.attacker_port}/",
                                         headers={"Accept-Language": "en"})
            with urllib.request.urlopen(req, timeout=30) as r:
                html = r.read().decode()
                assert r.status == 200 and kind in html
                assert "Set-Cookie" not in r.headers  # the attacker keeps no session of its own
        status, _body = server.request("GET", "/healthz")
        assert status == 200  # the lab itself is unaffected
    finally:
        assert server.stop()["redis_gone"]
