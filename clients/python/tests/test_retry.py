"""Backoff with jitter, and Retry-After."""

import email.utils
import unittest

import support  # noqa: F401
from netsentinel_gateway.retry import RetryPolicy, parse_retry_after


class RetryPolicyTest(unittest.TestCase):
    def test_doubles_per_attempt_up_to_max_backoff(self):
        top = RetryPolicy(backoff=0.5, max_backoff=3.0, random=lambda: 1.0)
        self.assertEqual([top.delay(n) for n in range(5)], [0.5, 1.0, 2.0, 3.0, 3.0])

    def test_jitter_scales_each_delay_between_half_and_full(self):
        low = RetryPolicy(backoff=1.0, random=lambda: 0.0)
        self.assertEqual(low.delay(2), 2.0)
        mid = RetryPolicy(backoff=1.0, random=lambda: 0.5)
        self.assertEqual(mid.delay(2), 3.0)

    def test_retry_after_is_a_floor(self):
        policy = RetryPolicy(backoff=0.1, random=lambda: 1.0)
        self.assertEqual(policy.delay(0, retry_after=2.0), 2.0)
        self.assertEqual(policy.delay(5, retry_after=0.0), 3.2)

    def test_rejects_negative_settings(self):
        with self.assertRaises(ValueError):
            RetryPolicy(retries=-1)
        with self.assertRaises(ValueError):
            RetryPolicy(backoff=-1)


class ParseRetryAfterTest(unittest.TestCase):
    def test_reads_delta_seconds(self):
        self.assertEqual(parse_retry_after("3"), 3.0)
        self.assertEqual(parse_retry_after(" 1.5 "), 1.5)

    def test_reads_an_http_date_relative_to_now(self):
        date = email.utils.formatdate(1_000_030, usegmt=True)
        self.assertEqual(parse_retry_after(date, now=lambda: 1_000_000), 30.0)

    def test_never_negative_and_none_when_absent_or_unreadable(self):
        self.assertEqual(parse_retry_after("-4"), 0.0)
        self.assertIsNone(parse_retry_after(None))
        self.assertIsNone(parse_retry_after("soon"))
        self.assertIsNone(parse_retry_after("nan"))


if __name__ == "__main__":
    unittest.main()
