"""GatewayWebSocketManager against a stand-in for NetSentinel's event bus and the real gateway
process: what the processor puts on its bus reaches a /ws subscriber as gateway events."""

import asyncio
import json
import logging
import os
import socket
import sqlite3
import tempfile
import unittest
from unittest import mock

import support
from support.gateway_process import PUBLISH_KEY, GatewayProcess
from support.netsentinel_bus import StandInEventBus
from support.subscriber import Subscriber
from netsentinel_gateway import validation_issues
from netsentinel_gateway.netsentinel import BUS_EVENT_TYPES, GatewayWebSocketManager

FIXTURES = json.loads((support.CLIENT_DIR / "tests" / "fixtures" / "netsentinel_payloads.json").read_text(encoding="utf-8"))
gateway = GatewayProcess()


def setUpModule():
    gateway.start()


def tearDownModule():
    gateway.stop()


def closed_port_url():
    s = socket.create_server(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return "http://127.0.0.1:%d" % port


class StandInProcessor:
    """RefactoredEventProcessor's two report methods, returning the recorded shapes."""

    async def health_check(self):
        return FIXTURES["health_check"][0]["payload"]

    async def get_processor_metrics(self):
        return FIXTURES["get_processor_metrics"][0]["payload"]


class ManagerTest(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        self.bus = StandInEventBus()

    def manager(self, url=None, **options):
        options.setdefault("spool_path", os.path.join(self.dir.name, "spool.sqlite3"))
        options.setdefault("max_backoff", 0.2)
        return GatewayWebSocketManager(url or gateway.url, PUBLISH_KEY, event_bus=self.bus, **options)

    async def test_start_subscribes_to_the_processors_bus_events_and_stop_unsubscribes(self):
        manager = self.manager()
        self.assertIs(await manager.start(), True)
        self.assertEqual(sorted(t for t, hs in self.bus.subscribers.items() if hs), sorted(BUS_EVENT_TYPES))
        self.assertIs(await manager.stop(), True)
        self.assertEqual([t for t, hs in self.bus.subscribers.items() if hs], [])
        self.assertIs(await manager.stop(), True)  # twice is fine

    async def test_reads_ns_gateway_url_and_ns_publish_key_when_built_without_arguments(self):
        with mock.patch.dict(os.environ, {"NS_GATEWAY_URL": "http://127.0.0.1:9", "NS_PUBLISH_KEY": "k-123"}):
            manager = GatewayWebSocketManager()
        self.assertEqual(manager.publisher.endpoint, "http://127.0.0.1:9/v1/publish")
        self.assertEqual(manager.publisher._headers["Authorization"], "Bearer k-123")
        self.assertNotIn("k-123", repr(manager))

    async def test_the_processors_bus_events_reach_a_ws_subscriber(self):
        subscriber = await Subscriber(gateway.ws_url, ["threats", "alerts", "status", "metrics"]).start()
        self.addAsyncCleanup(subscriber.close)
        manager = self.manager(processor=StandInProcessor(), report_interval=0)
        await manager.start()
        self.addAsyncCleanup(manager.stop)

        for case in FIXTURES["threat.new"][:2]:  # one with an address, one with "unknown"
            await self.bus.emit("threat.new", case["payload"])
        await self.bus.emit("alert.new", FIXTURES["alert.new"][0]["payload"])  # raised for the first threat
        await manager.broadcast("alerts", FIXTURES["alert.acknowledged"][0]["payload"])  # websocket_server.py's call
        await self.bus.emit("ml.model.metrics", FIXTURES["ml.model.metrics"][0]["payload"])
        self.assertEqual(await manager.report_now(), 5)  # health_check(): 4 components; metrics: 1
        await asyncio.get_running_loop().run_in_executor(None, manager.flush, 15)

        events = await subscriber.wait_for_events(10)
        by_type = {}
        for e in events:
            by_type.setdefault(e["type"], []).append(e)
            self.assertEqual(validation_issues({"type": e["type"], "data": e["data"]}), [])
        threats = by_type["threat.new"]
        self.assertEqual([(t["data"]["source_ip"], t["data"].get("source")) for t in threats], [("203.0.113.7", None), (None, "unknown")])
        self.assertEqual({t["data"]["event_type"] for t in threats}, {"ssh_login"})
        alert = by_type["alert.new"][0]["data"]
        self.assertEqual((alert["source_ip"], alert["threat_id"]), ("203.0.113.7", threats[0]["id"]))
        self.assertEqual(by_type["alert.acknowledged"][0]["data"]["by"], "analyst1")
        self.assertEqual(sorted(e["data"]["component"] for e in by_type["status.update"]),
                         ["event_processor", "event_processor.analyzer", "event_processor.consumer", "event_processor.router"])
        self.assertEqual(sorted(e["data"]["component"] for e in by_type["metrics.update"]), ["event_processor", "ml.fastflow"])
        self.assertEqual(manager.stats()["sent"], 10)

    async def test_an_alert_raised_before_its_threat_waits_for_it_and_one_without_a_threat_goes_alone(self):
        subscriber = await Subscriber(gateway.ws_url, ["threats", "alerts"]).start()
        self.addAsyncCleanup(subscriber.close)
        manager = self.manager(alert_hold=0.5)
        await manager.start()
        self.addAsyncCleanup(manager.stop)
        threat, alert = FIXTURES["threat.new"][0]["payload"], FIXTURES["alert.new"][0]["payload"]
        # The processor's router often publishes the alert first (refactored_event_processor.py:
        # route_analysis_result queues the result for the router before it publishes threat.new).
        alert_id = await manager.broadcast_alert(alert)
        self.assertEqual(manager.pending(), 1)  # held, counted
        threat_id = await manager.broadcast_threat(threat)
        lonely = await manager.broadcast_alert(dict(alert, id="alert-lonely", description="Threat score: 1.00"))
        events = await subscriber.wait_for_events(3)
        self.assertEqual([e["id"] for e in events[:2]], [threat_id, alert_id])
        self.assertEqual((events[1]["data"]["source_ip"], events[1]["data"]["threat_id"]), ("203.0.113.7", threat_id))
        self.assertEqual(events[2]["id"], lonely)  # released after alert_hold without an address
        self.assertNotIn("source_ip", events[2]["data"])

    async def test_an_event_the_gateway_refuses_is_dropped_alone_and_the_rest_are_delivered(self):
        subscriber = await Subscriber(gateway.ws_url, ["threats"]).start()
        self.addAsyncCleanup(subscriber.close)
        manager = self.manager()
        good = [dict(FIXTURES["threat.new"][0]["payload"], indicators=["n%d" % n]) for n in range(5)]
        bad = dict(good[0], confidence=5, indicators=["bad"])  # passes through the mapper; the gateway allows 0..1
        with self.assertLogs("netsentinel_gateway.netsentinel", logging.ERROR) as logs:
            for data in good[:2] + [bad] + good[2:]:  # handed over before start: one batch
                manager.handle("threat.new", data)
            await manager.start()
            self.addAsyncCleanup(manager.stop)
            await asyncio.get_running_loop().run_in_executor(None, manager.flush, 15)
        events = await subscriber.wait_for_events(5)
        self.assertEqual([e["data"]["indicators"] for e in events], [["n%d" % n] for n in range(5)])
        self.assertEqual(manager.stats()["rejected"], 1)
        self.assertIn("data.confidence", "\n".join(logs.output))

    async def test_status_and_metrics_drop_the_oldest_while_the_gateway_is_away_counted_and_logged(self):
        manager = self.manager(closed_port_url(), ephemeral_limit=5)
        with self.assertLogs("netsentinel_gateway.netsentinel", logging.WARNING) as logs:
            await manager.start()
            for n in range(20):
                manager.handle("status.update", {"component": "c%d" % n, "status": "healthy"})
            await asyncio.sleep(0.3)
            self.assertLessEqual(manager.pending(), 5)
            self.assertGreaterEqual(manager.stats()["ephemeral_dropped"], 15)
            await manager.stop(timeout=0.1)
        self.assertEqual(manager.stats()["ephemeral_dropped"], 20)  # the last 5 at stop, never sent
        self.assertTrue(any("dropped the oldest status/metrics" in line for line in logs.output))

    async def test_a_payload_that_cannot_be_mapped_is_logged_with_its_field_and_never_raised_into_the_bus(self):
        manager = self.manager()
        await manager.start()
        self.addAsyncCleanup(manager.stop)
        with self.assertLogs("netsentinel_gateway.netsentinel", logging.ERROR) as logs:
            await self.bus.emit("threat.new", {"source_ip": "1.2.3.4", "threat_level": "high"})
        self.assertIn("data.threat_score", logs.output[0])
        self.assertEqual(manager.stats()["unmappable"], 1)
        with self.assertRaises(ValueError):  # a direct caller is told
            await manager.broadcast_threat({"source_ip": "1.2.3.4", "threat_score": 7, "threat_level": "high", "logdata": {"USERNAME": b"root"}})


class SpoolReplayTest(unittest.IsolatedAsyncioTestCase):
    """A processor restart with a non-empty spool replays it: nothing lost, nothing doubled."""

    async def test_a_restarted_manager_replays_the_spool_with_the_original_ids_once(self):
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        spool_path = os.path.join(directory.name, "spool.sqlite3")
        subscriber = await Subscriber(gateway.ws_url, ["threats", "alerts"]).start()
        self.addAsyncCleanup(subscriber.close)

        # Run 1: 10 threats reach the gateway; the process then "crashes" before forgetting them --
        # their rows are put back, as if the acknowledgement never got to the spool.
        first = GatewayWebSocketManager(gateway.url, PUBLISH_KEY, event_bus=StandInEventBus(), spool_path=spool_path)
        delivered = [first._threat(dict(FIXTURES["threat.new"][0]["payload"], indicators=["early%d" % n])) for n in range(10)]
        await first.start()
        await asyncio.get_running_loop().run_in_executor(None, first.flush, 15)
        await subscriber.wait_for_events(10)
        await first.stop()

        # Run 2: the gateway is unreachable; 100 threats and alerts are handed over, stop() gives up.
        second = GatewayWebSocketManager(closed_port_url(), PUBLISH_KEY, event_bus=StandInEventBus(), spool_path=spool_path, max_backoff=0.05)
        await second.start()
        ids = []
        for n in range(50):
            ids.append(second._threat(dict(FIXTURES["threat.new"][1]["payload"], indicators=["late%d" % n])))
            ids.append(second._alert(dict(FIXTURES["alert.new"][0]["payload"], id="alert-%d" % n, tags=["late%d" % n])))
        self.assertIs(await second.stop(timeout=0.3), True)
        db = sqlite3.connect(spool_path)
        self.assertEqual(db.execute("SELECT COUNT(*) FROM events").fetchone()[0], 100)
        bodies = [json.loads(b) for (b,) in db.execute("SELECT body FROM events ORDER BY row")]
        self.assertEqual([b["id"] for b in bodies], ids)
        # ... plus the 10 already delivered, as a crash between send and delete leaves them.
        db.executemany("INSERT INTO events (id, body, spooled_at) VALUES (?, ?, 0)",
                       [(i, json.dumps({"type": "threat.new", "id": i, "data": {"source_ip": "203.0.113.7", "threat_score": 8.0,
                                                                                 "threat_level": "high", "timestamp": 1.0}}))
                        for i in delivered])
        db.commit()
        db.close()

        # Run 3: the gateway is there; start() replays everything.
        third = GatewayWebSocketManager(gateway.url, PUBLISH_KEY, event_bus=StandInEventBus(), spool_path=spool_path)
        await third.start()
        self.assertEqual(third.stats()["replayed_from_spool"], 110)
        await asyncio.get_running_loop().run_in_executor(None, third.flush, 15)
        await subscriber.wait_for_events(110)
        await asyncio.sleep(0.3)  # a duplicate would arrive now
        await third.stop()
        got = [e["id"] for e in subscriber.events]
        self.assertEqual(got, delivered + ids)  # every event once, in hand-off order
        self.assertEqual(third.stats()["pending"], 0)


if __name__ == "__main__":
    unittest.main()
