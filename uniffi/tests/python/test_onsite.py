"""The client core through its generated Python bindings, against a real `onsite serve`.

Needs, in the environment (uniffi/tests/run.sh sets them):
  ONSITE_BIN      the `onsite` server binary
  PYTHONPATH      a folder holding the generated `onsite.py` and `libonsite_ffi.so`

Every call below crosses the FFI: devices are `OnsiteClient`s on their own data
directories, the server is a separate process on 127.0.0.1 with its own database.
"""

import asyncio
import json
import os
import queue
import shutil
import socket
import ssl
import subprocess
import tempfile
import unittest
import urllib.request

import onsite
from onsite import (
    Customer,
    ErrorKind,
    JobFilter,
    NewJob,
    OnsiteClient,
    OnsiteError,
    PartInput,
    Product,
    Role,
    Status,
)

PASSWORD = "a-long-test-password"
WAIT = 20.0  # seconds: the most any callback may take to arrive

ACCOUNTS = {
    "wang": "technician",  # two devices: phone and tablet
    "zhao": "technician",  # loses a job to sun while working on it offline
    "sun": "technician",
    "li": "technician",  # background sync
    "zhou": "technician",  # catalog and van stock
    "office": "back_office",
}


class Server:
    """A real `onsite serve` on a free 127.0.0.1 port, with its own data directory; over
    HTTPS with the certificate of `ca` (a TestCa) when one is given."""

    def __init__(self, ca=None):
        self.ca = ca
        self.binary = os.environ["ONSITE_BIN"]
        self.dir = tempfile.mkdtemp(prefix="onsite-server-")
        self.data = os.path.join(self.dir, "data")
        self.ids = {}
        for username, role in ACCOUNTS.items():
            out = subprocess.run(
                [self.binary, "admin", "create-user", "--data-dir", self.data,
                 "--username", username, "--role", role],
                input=PASSWORD + "\n", capture_output=True, text=True, check=True,
                env=self._env())
            self.ids[username] = json.loads(out.stdout.strip().splitlines()[-1])["id"]
        tls = [] if ca is None else ["--tls-cert", ca.cert, "--tls-key", ca.key]
        self.process = subprocess.Popen(
            [self.binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", self.data, *tls],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=self._env())
        # The server prints its address once it listens: that line is the readiness signal.
        line = self.process.stdout.readline()
        if "listening on " not in line:
            self.stop()
            raise RuntimeError(f"onsite serve did not start: {line!r}")
        self.url = line.strip().rsplit(" ", 1)[-1]

    @staticmethod
    def _env():
        env = dict(os.environ)
        env["ONSITE_LOG"] = "warn"
        for key in ("ONSITE_ADMIN_USERNAME", "ONSITE_ADMIN_PASSWORD"):
            env.pop(key, None)
        return env

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def office_call(self, method, path, body=None):
        """The back office's HTTP API, signed in as `office`."""
        if not hasattr(self, "_office_token"):
            self._office_token = self._post_json(
                "/v1/auth/login",
                {"username": "office", "password": PASSWORD, "device_id": "office-pc"},
            )["access_token"]
        return self._post_json(path, body, method=method, token=self._office_token)

    def _post_json(self, path, body, method="POST", token=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        context = None if self.ca is None else ssl.create_default_context(cafile=self.ca.ca_file)
        with urllib.request.urlopen(request, timeout=30, context=context) as response:
            return json.loads(response.read())


class TestCa:
    """A certificate authority made for the test (uniffi/tests/make-test-ca.sh) and a
    server certificate it signed for 127.0.0.1."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="onsite-ca-")
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "make-test-ca.sh")
        subprocess.run(["bash", script, self.dir], check=True)
        self.ca_file = os.path.join(self.dir, "ca.pem")
        self.cert = os.path.join(self.dir, "server.pem")
        self.key = os.path.join(self.dir, "server.key")
        with open(self.ca_file) as f:
            self.ca_pem = f.read()

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)


SERVER = None


def setUpModule():
    global SERVER
    SERVER = Server()


def tearDownModule():
    if SERVER is not None:
        SERVER.stop()


class Heard(onsite.JobsListener):
    """Puts every job-change callback on a queue, to wait on with a timeout."""

    def __init__(self):
        self.calls = queue.Queue()

    def on_jobs_changed(self, job_ids):
        self.calls.put(list(job_ids))

    def wait_for(self, job_id):
        """Waits until a callback names `job_id`; returns the ids heard until then."""
        heard = []
        while True:
            ids = self.calls.get(timeout=WAIT)
            heard.extend(ids)
            if job_id in ids:
                return heard


class States(onsite.SyncStateListener):
    def __init__(self):
        self.statuses = queue.Queue()

    def on_sync_state_changed(self, status):
        self.statuses.put(status)

    def wait_until(self, done):
        while True:
            status = self.statuses.get(timeout=WAIT)
            if done(status):
                return status


def new_job(customer, fault="drum does not turn"):
    return NewJob(
        customer=Customer(name=customer, phone="+86 139 0000 0000"),
        product=Product(model="WM-100", serial=f"SN-{customer}"),
        fault=fault,
    )


class Device:
    """One device: its own data directory and client."""

    def __init__(self, test):
        self.dir = tempfile.mkdtemp(prefix="onsite-device-")
        test.addCleanup(shutil.rmtree, self.dir, True)
        self.client = OnsiteClient.open(self.dir)


def free_port_nobody_listens_on():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OnsiteThroughTheFfi(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        # The test loop runs in debug mode; a local operation (SQLite, a few ms) called
        # from a coroutine is not a slow callback worth a warning.
        asyncio.get_running_loop().slow_callback_duration = 5.0

    async def signed_in(self, username):
        device = Device(self)
        session = await device.client.sign_in(SERVER.url, username, PASSWORD)
        self.assertEqual(session.username, username)
        self.assertEqual(session.user_id, SERVER.ids[username])
        return device

    async def test_two_devices_work_offline_sync_and_converge(self):
        phone = await self.signed_in("wang")
        tablet = await self.signed_in("wang")
        self.assertEqual(phone.client.session().role, Role.TECHNICIAN)
        self.assertNotEqual(phone.client.device_id(), tablet.client.device_id())
        phone_heard, tablet_heard = Heard(), Heard()
        phone_handle = phone.client.subscribe_jobs(phone_heard)
        tablet_handle = tablet.client.subscribe_jobs(tablet_heard)

        # On the phone, offline: a whole visit, each step committed on the device.
        c = phone.client
        job = c.create_job(new_job("Zhang Wei"))
        phone_heard.wait_for(job)
        c.start_travel(job)
        c.arrive(job)
        c.diagnose(job, "motor relay stuck")
        part = c.record_part(job, PartInput(sku="RLY-12", name="Relay 12 V", quantity=1,
                                            unit_price_cents=1800, billable=True))
        c.repair(job, "replaced the relay, tested a full cycle")
        form = c.start_form(job, "survey")
        c.answer_item(job, form, "overall", 10, "quick and tidy")
        c.submit_form(job, form, "call before coming")
        self.assertGreater(c.pending_changes(), 5)
        [summary] = c.list_jobs(JobFilter(text="Zhang"))
        self.assertEqual((summary.id, summary.status, summary.unsynced),
                         (job, Status.REPAIRED, True))
        self.assertEqual(c.list_jobs(JobFilter(status="completed")), [])

        report = await c.sync()
        self.assertGreater(report.uploaded, 5)
        self.assertEqual(c.pending_changes(), 0)
        self.assertFalse(c.list_jobs(JobFilter(text="Zhang"))[0].unsynced)

        # The tablet hears about the job when its sync brings it down.
        report = await tablet.client.sync()
        self.assertIn(job, report.changed_jobs)
        tablet_heard.wait_for(job)

        # Both offline again, both edit the same job; then both sync.
        c.add_note(job, "from the phone: customer asked for an invoice")
        tablet.client.add_note(job, "from the tablet: serial plate photographed")
        tablet.client.complete(job)
        await c.sync()
        await tablet.client.sync()
        await c.sync()

        on_phone, on_tablet = c.get_job(job), tablet.client.get_job(job)
        self.assertEqual(on_phone, on_tablet)
        self.assertEqual(on_phone.status, Status.COMPLETED)
        self.assertEqual(sorted(n.text[:10] for n in on_phone.notes),
                         ["from the p", "from the t"])
        self.assertEqual([p.id for p in on_phone.parts], [part])
        self.assertEqual(on_phone.parts[0].unit_price_cents, 1800)
        [answered] = on_phone.forms
        self.assertEqual(answered.id, form)
        self.assertIsNotNone(answered.submitted_at)
        self.assertEqual([(a.item_id, a.points) for a in answered.answers], [("overall", 10)])
        self.assertEqual(on_phone.diagnosis, "motor relay stuck")
        self.assertEqual(c.conflicts(), [])

        # A cancelled handle hears nothing more.
        phone_handle.cancel()
        phone_handle.cancel()
        while not phone_heard.calls.empty():
            phone_heard.calls.get_nowait()
        c.add_note(job, "unheard")
        # Listeners of a local operation are called before it returns.
        self.assertTrue(phone_heard.calls.empty())
        tablet_handle.cancel()

    async def test_background_sync_uploads_and_reports_its_state(self):
        phone = await self.signed_in("li")
        tablet = await self.signed_in("li")
        states = States()
        handle = phone.client.subscribe_sync_state(states)

        # Background sync every hour: the syncs below come from starting it and from the
        # local change, not from the timer.
        await phone.client.start_background_sync(3600)
        first = states.wait_until(lambda s: not s.syncing and s.last_attempt_at is not None)
        self.assertTrue(first.background)
        self.assertIsNone(first.last_error)
        self.assertIsNotNone(first.last_success_at)

        job = phone.client.create_job(new_job("Qian Hua"))
        # A sync that began before the job existed (the live socket's catch-up) may end
        # first; wait for the end of one that leaves nothing to upload.
        uploaded = states.wait_until(
            lambda s: not s.syncing and phone.client.pending_changes() == 0)
        self.assertIsNone(uploaded.last_error)

        await tablet.client.sync()
        self.assertEqual(tablet.client.get_job(job).customer.name, "Qian Hua")

        phone.client.stop_background_sync()
        stopped = states.wait_until(lambda s: not s.background)
        self.assertFalse(phone.client.sync_status().background)
        self.assertFalse(stopped.syncing)
        handle.cancel()

    async def test_a_refused_change_lands_in_the_conflict_log(self):
        phone = await self.signed_in("zhao")
        job = phone.client.create_job(new_job("Zhou Min"))
        await phone.client.sync()

        # Offline, Zhao adds a note; meanwhile the office gives the job to Sun.
        phone.client.add_note(job, "needs a ladder")
        SERVER.office_call("POST", f"/v1/jobs/{job}/assign", {"assignee": SERVER.ids["sun"]})
        report = await phone.client.sync()

        self.assertEqual(report.refused, 1)
        [conflict] = phone.client.conflicts()
        self.assertEqual((conflict.doc_id, conflict.code), (job, "not_assigned"))
        self.assertEqual(conflict.change_count, 1)
        self.assertEqual(phone.client.pending_changes(), 0)

    async def test_catalog_and_van_stock_reach_the_device(self):
        SERVER.office_call("POST", "/v1/parts/catalog", {
            "sku": "FLT-7", "name": "滤网 filter", "unit_price_cents": 900, "billable": True})
        SERVER.office_call("POST", f"/v1/van-stock/{SERVER.ids['zhou']}/restock",
                           {"lines": [{"sku": "FLT-7", "quantity": 5}]})
        phone = await self.signed_in("zhou")
        report = await phone.client.sync()
        self.assertTrue(report.reference_changed)
        [item] = [i for i in phone.client.parts_catalog() if i.sku == "FLT-7"]
        self.assertEqual((item.name, item.unit_price_cents, item.billable, item.active),
                         ("滤网 filter", 900, True, True))
        self.assertEqual(phone.client.form_templates()[0].items[0].label_zh, "整体满意度")
        [line] = phone.client.van_stock()
        self.assertEqual((line.sku, line.name, line.balance, line.negative),
                         ("FLT-7", "滤网 filter", 5, False))

        # Offline, a catalog SKU is enough for a parts line; the van shows the use at once.
        job = phone.client.create_job(new_job("Zhou Li"))
        phone.client.record_part(job, PartInput(sku="FLT-7", quantity=2))
        self.assertEqual(phone.client.get_job(job).parts[0].unit_price_cents, 900)
        [line] = phone.client.van_stock()
        self.assertEqual((line.balance, line.unsynced_use), (3, 2))
        await phone.client.sync()
        [line] = phone.client.van_stock()
        self.assertEqual((line.balance, line.unsynced_use), (3, 0))

    async def test_error_kinds(self):
        device = Device(self)
        c = device.client

        # Before any sign-in: operations and syncs ask for one.
        with self.assertRaises(OnsiteError.SignInNeeded):
            c.create_job(new_job("Wu"))
        with self.assertRaises(OnsiteError.SignInNeeded):
            await c.sync()
        status = c.sync_status()
        self.assertFalse(status.syncing)
        self.assertTrue(status.last_error.kind.is_sign_in_needed())

        # A wrong password: the server's stable code, and no session.
        with self.assertRaises(OnsiteError.Server) as wrong:
            await c.sign_in(SERVER.url, "wang", "not-the-password")
        self.assertEqual(wrong.exception.code, "invalid_credentials")
        self.assertNotIn("not-the-password", str(wrong.exception))
        self.assertIsNone(c.session())

        # Nobody listens there: the network kind.
        unreachable = f"http://127.0.0.1:{free_port_nobody_listens_on()}"
        with self.assertRaises(OnsiteError.Network):
            await c.sign_in(unreachable, "wang", PASSWORD)
        with self.assertRaises(OnsiteError.InvalidInput):
            await c.sign_in("not a url", "wang", PASSWORD)

        await c.sign_in(SERVER.url, "wang", PASSWORD)
        job = c.create_job(new_job("Wu"))
        with self.assertRaises(OnsiteError.InvalidInput) as off_scale:
            c.answer_item(job, c.start_form(job, "survey"), "overall", 7, "")
        self.assertIn("scale", off_scale.exception.reason)
        with self.assertRaises(OnsiteError.NotFound):
            c.get_job("no-such-job")
        with self.assertRaises(OnsiteError.InvalidInput):
            await c.start_background_sync(0)

        c.sign_out()
        self.assertIsNone(c.session())
        self.assertEqual(c.list_jobs(JobFilter())[0].id, job, "work stays after sign-out")



class OverHttps(unittest.IsolatedAsyncioTestCase):
    """The client core on an HTTPS server whose certificate a company CA signed."""

    @classmethod
    def setUpClass(cls):
        cls.ca = TestCa()
        cls.server = Server(ca=cls.ca)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.ca.remove()

    def device(self, trusted_roots_pem, bundled_roots):
        path = tempfile.mkdtemp(prefix="onsite-device-")
        self.addCleanup(shutil.rmtree, path, True)
        return OnsiteClient.open_with_trust(path, trusted_roots_pem, bundled_roots)

    async def test_devices_trusting_the_ca_sign_in_and_sync(self):
        self.assertTrue(self.server.url.startswith("https://"), self.server.url)
        # The platform's verifier with the CA added, then the compiled-in roots (Android's).
        phone = self.device(self.ca.ca_pem, False)
        tablet = self.device(self.ca.ca_pem, True)
        await phone.sign_in(self.server.url, "wang", PASSWORD)
        job = phone.create_job(new_job("Https"))
        await phone.sync()
        stored = self.server.office_call("GET", f"/v1/jobs/{job}")
        self.assertEqual(stored["id"], job)
        await tablet.sign_in(self.server.url, "wang", PASSWORD)
        await tablet.sync()
        self.assertIn(job, [j.id for j in tablet.list_jobs(JobFilter())])

    async def test_a_device_that_does_not_trust_the_server_is_refused(self):
        for bundled_roots in (False, True):
            device = self.device(None, bundled_roots)
            with self.assertRaises(OnsiteError.Network) as refused:
                await device.sign_in(self.server.url, "wang", PASSWORD)
            self.assertIn("certificate", str(refused.exception))
            self.assertIsNone(device.session())
        with self.assertRaises(OnsiteError.InvalidInput):
            self.device("not a certificate", False)


if __name__ == "__main__":
    import sys

    result = unittest.main(exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    passed = result.testsRun - failed - len(result.skipped)
    print(f"python: {passed} passed, {failed} failed")
    sys.exit(0 if failed == 0 and result.testsRun > 0 else 1)
