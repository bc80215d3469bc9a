"""The scale-out lab in Chromium, against a real cluster (three nodes, HAProxy when installed):
the page calls the other nodes cross-origin (CORS), and Chromium sends the lab_session cookie
to every port of the host (cookies ignore ports), so a shared store answers on every node."""
import pytest

from bench.app_process import alive
from tests.scale_cluster import Cluster
from tests.test_scale import HAVE_HAPROXY


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = Cluster(str(tmp_path_factory.mktemp("scale-browser") / "instance"))
    yield c
    tree = c.descendants()
    c.stop()
    assert not [pid for pid in tree if alive(pid) and not c.wait_down(pid, 15)]


def test_one_login_every_node_answers_and_a_node_really_stops(cluster, page):
    page.goto(f"{cluster.urls[0]}/labs/scale")
    assert page.locator("#lab-node").inner_text() == "node-1"
    page.wait_for_function("() => document.querySelectorAll('#node-rows tr[data-up=\"yes\"]')"
                           ".length === 3")
    if not HAVE_HAPROXY:
        assert page.locator("#no-balancer").is_visible()
    page.click("[data-run=login]")
    page.wait_for_function("() => document.getElementById('step-login').dataset.state !== ''")
    assert page.locator("#step-login").get_attribute("data-state") == "ok", \
        page.locator("#login-verdict").inner_text()
    page.click("[data-run=ask]")
    page.wait_for_function("() => document.getElementById('step-ask').dataset.state !== ''",
                           timeout=60000)
    rows = page.locator("#answer-rows tr")
    for i in range(3):  # direct to each node: the cookie went to every port
        row = rows.nth(i)
        assert row.locator("td").nth(1).inner_text().endswith("200 alice"), row.inner_text()
        assert f"node-{i + 1}" in row.locator("td").nth(1).inner_text()
        assert row.locator("td").nth(2).inner_text().endswith("200 alice")
    assert page.locator("#step-ask").get_attribute("data-state") == "ok"
    if HAVE_HAPROXY:
        assert rows.count() == 9
        sticky = {rows.nth(i).locator("td").nth(1).locator(".node-badge").inner_text()
                  for i in range(6, 9)}
        assert len(sticky) == 1
    # The wire panel names the node of each answer.
    assert page.locator("#wire-rows .node-badge").count() > 0
    # ... and so does the sequence diagram of the selected request.
    assert "Flask (node-" in page.locator("#seq").text_content()
    # Stop node-3 from the page: its process really exits.
    pid = cluster.node(2)["pid"]
    page.click("[data-stop=node-3]")
    assert cluster.wait_down(pid)
    page.wait_for_function("() => document.querySelector('tr[data-node=\"node-3\"]')"
                           ".dataset.up === 'no'", timeout=30000)
