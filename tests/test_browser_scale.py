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
    page.wait_for_selector("#step-scale-ask [data-guide-run]:not([hidden])")
    page.click("[data-run=login]")
    page.wait_for_function("() => document.getElementById('login-verdict').dataset.ok")
    assert page.locator("#login-verdict").get_attribute("data-ok") == "true", \
        page.locator("#login-verdict").inner_text()
    page.click("[data-run=ask]")
    page.wait_for_function("() => document.getElementById('ask-verdict').dataset.ok",
                           timeout=60000)
    rows = page.locator("#answer-rows tr")
    for i in range(3):  # direct to each node: the cookie went to every port
        row = rows.nth(i)
        assert row.locator("td").nth(1).inner_text().endswith("200 alice"), row.inner_text()
        assert f"node-{i + 1}" in row.locator("td").nth(1).inner_text()
        assert row.locator("td").nth(2).inner_text().endswith("200 alice")
    assert page.locator("#ask-verdict").get_attribute("data-ok") == "true"
    # The guided step is the server's record: the other nodes answered for alice (cross-origin,
    # with the learner's ticket), so the step is green.
    page.wait_for_selector("#step-scale-ask[data-state=ok]", timeout=15000)
    page.wait_for_selector("#step-scale-nodes[data-state=ok]", timeout=15000)
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


def test_show_me_breaks_a_push_the_server_records_it_and_reset_restarts_the_node(cluster, page):
    """Runs after the test above (node-3 stopped): "Show me" acts on a node that is up, the
    verdicts are the server's records, and the lab's reset starts node-3 again."""
    page.goto(f"{cluster.urls[0]}/labs/scale")
    page.wait_for_selector("#step-scale-push-broken [data-guide-run]:not([hidden])")
    page.wait_for_function("() => document.querySelector('tr[data-node=\"node-3\"]')"
                           ".dataset.up === 'no'", timeout=30000)
    page.click("#step-scale-push-broken [data-guide-run]")
    page.wait_for_selector("#step-scale-push-broken[data-state=ok]", timeout=30000)
    row = page.locator("tr[data-push-node=node-2]")
    assert row.locator(".via-local").inner_text().startswith("200")  # revoked, yet accepted
    assert row.locator(".via-redis").inner_text().startswith("401")
    page.click("#step-scale-push-fixed [data-guide-run]")
    page.wait_for_selector("#step-scale-push-fixed[data-state=ok]", timeout=30000)
    assert row.locator(".via-local").inner_text().startswith("401")
    page.click("#guide-scale [data-guide-reset]")
    page.wait_for_selector("#step-scale-push-fixed[data-state='']")
    page.wait_for_function("() => document.querySelector('tr[data-node=\"node-3\"]')"
                           ".dataset.up === 'yes'", timeout=30000)
