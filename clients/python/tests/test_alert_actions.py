"""Alert actions taken in the console reach Python: ``POST /v1/alerts/{id}/acknowledge`` and
``/resolve`` on the real gateway publish ``alert.acknowledged`` / ``alert.resolved`` on ``alerts``, which
the processor's alert manager follows with ``ChannelTail`` (README: "Following the console's alert
actions"). Each delivered event validates against the bundled schemas.
"""

import json
import unittest
import urllib.request

import support  # noqa: F401
from support.gateway_process import PUBLISH_KEY, GatewayProcess
from support.subscriber import Subscriber
from netsentinel_gateway import SyncGatewayBroadcaster, validation_issues


def post(url, body=None):
    data = None if body is None else json.dumps(body).encode()
    headers = {} if body is None else {"content-type": "application/json"}  # no body: no note
    req = urllib.request.Request(url, data=data, method="POST", headers=headers)
    with urllib.request.urlopen(req, timeout=10) as res:
        return res.status, json.loads(res.read())


class AlertActionsTest(unittest.IsolatedAsyncioTestCase):
    def setUp(self):
        # NS_AUTH=none: every request acts as the unrestricted principal, so `by` is "auth-disabled".
        self.gateway = GatewayProcess().start()
        self.addCleanup(self.gateway.kill)

    async def test_acknowledgement_and_resolution_arrive_once_with_the_gateways_author_and_time(self):
        subscriber = await Subscriber(self.gateway.ws_url, ["alerts"]).start()
        self.addAsyncCleanup(subscriber.close)
        with SyncGatewayBroadcaster(self.gateway.url, PUBLISH_KEY) as publisher:
            publisher.broadcast_alert({"id": "alert_7", "severity": "critical", "message": "SSH brute force", "timestamp": 1764115200.0})

        status, first = post(self.gateway.url + "/v1/alerts/alert_7/acknowledge", {"note": "looking"})
        self.assertEqual((status, first["duplicate"], first["data"]["by"]), (200, False, "auth-disabled"))
        status, again = post(self.gateway.url + "/v1/alerts/alert_7/acknowledge")
        self.assertEqual(again, dict(first, duplicate=True))
        post(self.gateway.url + "/v1/alerts/alert_7/resolve")

        events = await subscriber.wait_for_events(3)
        self.assertEqual([e["type"] for e in events], ["alert.new", "alert.acknowledged", "alert.resolved"])
        ack = events[1]
        self.assertEqual(ack["data"], first["data"])
        self.assertEqual(ack["data"]["note"], "looking")
        for event in events:
            self.assertEqual(validation_issues({"type": event["type"], "data": event["data"]}), [])


if __name__ == "__main__":
    unittest.main()
