// The client core through its generated Kotlin bindings on the JVM (JNA), against a real
// `onsite serve`: the story of uniffi/tests/python/test_onsite.py, in Kotlin.
//
// Needs the system property jna.library.path (the folder of libonsite_ffi.so) and the
// environment variable ONSITE_BIN (the server binary); uniffi/tests/run.sh sets both.
// Prints one line per test and a closing "N passed, M failed" line; exits 1 on a failure.

import java.io.File
import java.net.ServerSocket
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import java.security.KeyStore
import java.security.cert.CertificateFactory
import javax.net.ssl.SSLContext
import javax.net.ssl.TrustManagerFactory
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import kotlin.system.exitProcess
import kotlinx.coroutines.runBlocking
import uniffi.onsite.*

const val PASSWORD = "a-long-test-password"
const val WAIT_SECONDS = 20L

val ACCOUNTS = linkedMapOf(
    "wang" to "technician",
    "zhao" to "technician",
    "sun" to "technician",
    "li" to "technician",
    "office" to "back_office",
)

fun fail(message: String): Nothing = throw AssertionError(message)

fun <T> expectEqual(expected: T, actual: T, what: String = "value") {
    if (expected != actual) fail("$what: expected <$expected>, got <$actual>")
}

inline fun <reified E : Throwable> expectThrows(block: () -> Unit): E {
    try {
        block()
    } catch (e: Throwable) {
        if (e is E) return e
        fail("expected ${E::class.simpleName}, got $e")
    }
    fail("expected ${E::class.simpleName}, nothing was thrown")
}

/**
 * A certificate authority made for the test (uniffi/tests/make-test-ca.sh) and a server
 * certificate it signed for 127.0.0.1.
 */
class TestCa {
    val dir: File = Files.createTempDirectory("onsite-ca-").toFile()
    val cert = File(dir, "server.pem").path
    val key = File(dir, "server.key").path
    val caPem: String

    init {
        val script = File(System.getenv("ONSITE_TEST_CA_SCRIPT") ?: fail("ONSITE_TEST_CA_SCRIPT is not set"))
        val p = ProcessBuilder("bash", script.path, dir.path).inheritIO().start()
        if (p.waitFor() != 0) fail("make-test-ca.sh failed")
        caPem = File(dir, "ca.pem").readText()
    }

    /** TLS that trusts this CA only, for the test's own HTTP calls. */
    fun sslContext(): SSLContext {
        val ca = CertificateFactory.getInstance("X.509").generateCertificate(caPem.byteInputStream())
        val store = KeyStore.getInstance(KeyStore.getDefaultType()).apply { load(null, null); setCertificateEntry("ca", ca) }
        val trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm()).apply { init(store) }
        return SSLContext.getInstance("TLS").apply { init(null, trust.trustManagers, null) }
    }

    fun remove() = dir.deleteRecursively()
}

/**
 * A real `onsite serve` on a free 127.0.0.1 port, with its own data directory; over HTTPS
 * with the certificate of `ca` when one is given.
 */
class Server(ca: TestCa? = null) {
    private val binary = System.getenv("ONSITE_BIN") ?: fail("ONSITE_BIN is not set")
    private val dir: File = Files.createTempDirectory("onsite-server-").toFile()
    private val data = File(dir, "data").path
    val ids = mutableMapOf<String, String>()
    val url: String
    private val process: Process
    private val http = if (ca == null) HttpClient.newHttpClient() else HttpClient.newBuilder().sslContext(ca.sslContext()).build()
    private var officeToken: String? = null

    init {
        for ((username, role) in ACCOUNTS) {
            val p = command("admin", "create-user", "--data-dir", data, "--username", username, "--role", role)
                .start()
            p.outputStream.bufferedWriter().use { it.write(PASSWORD + "\n") }
            val out = p.inputStream.bufferedReader().readText()
            if (p.waitFor() != 0) fail("create-user $username failed")
            ids[username] = jsonString(out, "id")
        }
        val tls = if (ca == null) emptyList() else listOf("--tls-cert", ca.cert, "--tls-key", ca.key)
        process = command("serve", "--listen", "127.0.0.1:0", "--data-dir", data, *tls.toTypedArray())
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start()
        // The server prints its address once it listens: that line is the readiness signal.
        val line = process.inputStream.bufferedReader().readLine() ?: ""
        if (!line.contains("listening on ")) {
            stop()
            fail("onsite serve did not start: $line")
        }
        url = line.trim().substringAfterLast(' ')
    }

    private fun command(vararg args: String): ProcessBuilder {
        val pb = ProcessBuilder(listOf(binary) + args)
        pb.environment()["ONSITE_LOG"] = "warn"
        pb.environment().remove("ONSITE_ADMIN_USERNAME")
        pb.environment().remove("ONSITE_ADMIN_PASSWORD")
        return pb
    }

    fun stop() {
        process.destroy()
        process.waitFor(30, TimeUnit.SECONDS)
        dir.deleteRecursively()
    }

    /** The back office's HTTP API, signed in as `office`. */
    fun officePost(path: String, body: String): String {
        val token = officeToken ?: jsonString(
            post("/v1/auth/login", """{"username":"office","password":"$PASSWORD","device_id":"office-pc"}""", null),
            "access_token",
        ).also { officeToken = it }
        return post(path, body, token)
    }

    private fun post(path: String, body: String, token: String?): String {
        val request = HttpRequest.newBuilder(URI.create(url + path))
            .header("Content-Type", "application/json")
            .apply { if (token != null) header("Authorization", "Bearer $token") }
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build()
        val response = http.send(request, HttpResponse.BodyHandlers.ofString())
        if (response.statusCode() !in 200..299) fail("POST $path answered ${response.statusCode()}: ${response.body()}")
        return response.body()
    }

    private fun jsonString(json: String, key: String): String =
        Regex("\"$key\"\\s*:\\s*\"([^\"]+)\"").find(json)?.groupValues?.get(1) ?: fail("no $key in $json")
}

/** Puts every job-change callback on a queue, to wait on with a timeout. */
class Heard : JobsListener {
    val calls = LinkedBlockingQueue<List<String>>()
    override fun onJobsChanged(jobIds: List<String>) {
        calls.put(jobIds)
    }

    fun waitFor(jobId: String) {
        while (true) {
            val ids = calls.poll(WAIT_SECONDS, TimeUnit.SECONDS) ?: fail("no callback naming $jobId")
            if (jobId in ids) return
        }
    }
}

class States : SyncStateListener {
    val statuses = LinkedBlockingQueue<SyncStatus>()
    override fun onSyncStateChanged(status: SyncStatus) {
        statuses.put(status)
    }

    fun waitUntil(done: (SyncStatus) -> Boolean): SyncStatus {
        while (true) {
            val status = statuses.poll(WAIT_SECONDS, TimeUnit.SECONDS) ?: fail("no such sync status in time")
            if (done(status)) return status
        }
    }
}

fun newJob(customer: String) = NewJob(
    customer = Customer(name = customer, phone = "+86 139 0000 0000"),
    product = Product(model = "WM-100", serial = "SN-$customer"),
    fault = "drum does not turn",
)

class Devices {
    private val dirs = mutableListOf<File>()
    private val clients = mutableListOf<OnsiteClient>()

    fun open(opener: (String) -> OnsiteClient = { OnsiteClient.open(it) }): OnsiteClient {
        val dir = Files.createTempDirectory("onsite-device-").toFile()
        dirs += dir
        return opener(dir.path).also { clients += it }
    }

    suspend fun signedIn(server: Server, username: String): OnsiteClient {
        val client = open()
        val session = client.signIn(server.url, username, PASSWORD)
        expectEqual(server.ids[username], session.userId, "user id")
        return client
    }

    fun close() {
        clients.forEach { it.stopBackgroundSync(); it.close() }
        dirs.forEach { it.deleteRecursively() }
    }
}

suspend fun twoDevicesWorkOfflineSyncAndConverge(server: Server, devices: Devices) {
    val phone = devices.signedIn(server, "wang")
    val tablet = devices.signedIn(server, "wang")
    expectEqual(Role.TECHNICIAN, phone.session()?.role, "role")
    val phoneHeard = Heard()
    val tabletHeard = Heard()
    val phoneHandle = phone.subscribeJobs(phoneHeard)
    val tabletHandle = tablet.subscribeJobs(tabletHeard)

    val job = phone.createJob(newJob("Zhang Wei"))
    phoneHeard.waitFor(job)
    phone.startTravel(job)
    phone.arrive(job)
    phone.diagnose(job, "motor relay stuck")
    val part = phone.recordPart(job, PartInput(sku = "RLY-12", name = "Relay 12 V", quantity = 1L, unitPriceCents = 1800L))
    phone.repair(job, "replaced the relay")
    val form = phone.startForm(job, "survey")
    phone.answerItem(job, form, "overall", 10L, "")
    phone.submitForm(job, form, "call before coming")
    if (phone.pendingChanges() <= 5UL) fail("expected pending changes")
    val summary = phone.listJobs(JobFilter(text = "Zhang")).single()
    expectEqual(Status.REPAIRED, summary.status, "status")
    expectEqual(true, summary.unsynced, "unsynced")

    val report = phone.sync()
    if (report.uploaded <= 5UL) fail("uploaded ${report.uploaded}")
    expectEqual(0UL, phone.pendingChanges(), "pending after sync")

    val down = tablet.sync()
    if (job !in down.changedJobs) fail("the tablet did not receive the job")
    tabletHeard.waitFor(job)

    phone.addNote(job, "from the phone")
    tablet.addNote(job, "from the tablet")
    tablet.complete(job)
    phone.sync()
    tablet.sync()
    phone.sync()

    val onPhone = phone.getJob(job)
    expectEqual(onPhone, tablet.getJob(job), "the job on both devices")
    expectEqual(Status.COMPLETED, onPhone.status, "merged status")
    expectEqual(listOf("from the phone", "from the tablet"), onPhone.notes.map { it.text }.sorted(), "notes")
    expectEqual(listOf(part), onPhone.parts.map { it.id }, "parts")
    expectEqual(listOf("overall" to 10L), onPhone.forms.single().answers.map { it.itemId to it.points }, "answers")
    expectEqual(emptyList<Conflict>(), phone.conflicts(), "conflicts")

    phoneHandle.cancel()
    phoneHandle.cancel()
    phoneHeard.calls.clear()
    phone.addNote(job, "unheard")
    // Listeners of a local operation are called before it returns.
    expectEqual(null, phoneHeard.calls.poll(), "callback after cancel")
    tabletHandle.close()
}

suspend fun backgroundSyncUploadsAndReportsItsState(server: Server, devices: Devices) {
    val phone = devices.signedIn(server, "li")
    val tablet = devices.signedIn(server, "li")
    val states = States()
    val handle = phone.subscribeSyncState(states)

    phone.startBackgroundSync(3600u)
    val first = states.waitUntil { !it.syncing && it.lastAttemptAt != null }
    expectEqual(true, first.background, "background")
    expectEqual(null, first.lastError, "first error")

    val job = phone.createJob(newJob("Qian Hua"))
    // A sync that began before the job existed (the live socket's catch-up) may end
    // first; wait for the end of one that leaves nothing to upload.
    val uploaded = states.waitUntil { !it.syncing && phone.pendingChanges() == 0UL }
    expectEqual(null, uploaded.lastError, "upload error")

    tablet.sync()
    expectEqual("Qian Hua", tablet.getJob(job).customer.name, "customer on the tablet")

    phone.stopBackgroundSync()
    states.waitUntil { !it.background }
    handle.cancel()
}

suspend fun aRefusedChangeLandsInTheConflictLog(server: Server, devices: Devices) {
    val phone = devices.signedIn(server, "zhao")
    val job = phone.createJob(newJob("Zhou Min"))
    phone.sync()
    phone.addNote(job, "needs a ladder")
    server.officePost("/v1/jobs/$job/assign", """{"assignee":"${server.ids["sun"]}"}""")
    val report = phone.sync()
    expectEqual(1UL, report.refused, "refused")
    val conflict = phone.conflicts().single()
    expectEqual(job to "not_assigned", conflict.docId to conflict.code, "conflict")
}

suspend fun errorKinds(server: Server, devices: Devices) {
    val c = devices.open()
    expectThrows<OnsiteException.SignInNeeded> { c.createJob(newJob("Wu")) }
    expectThrows<OnsiteException.SignInNeeded> { runBlocking { c.sync() } }
    expectEqual(ErrorKind.SignInNeeded, c.syncStatus().lastError?.kind, "status kind")

    val wrong = expectThrows<OnsiteException.Server> { runBlocking { c.signIn(server.url, "wang", "not-the-password") } }
    expectEqual("invalid_credentials", wrong.code, "code")
    if ("not-the-password" in wrong.reason) fail("the password is in the message")

    val port = ServerSocket(0).use { it.localPort }
    expectThrows<OnsiteException.Network> { runBlocking { c.signIn("http://127.0.0.1:$port", "wang", PASSWORD) } }

    c.signIn(server.url, "wang", PASSWORD)
    val job = c.createJob(newJob("Wu"))
    val form = c.startForm(job, "survey")
    expectThrows<OnsiteException.InvalidInput> { c.answerItem(job, form, "overall", 7L, "") }
    expectThrows<OnsiteException.NotFound> { c.getJob("no-such-job") }
}

/** An HTTPS server whose certificate a company CA signed: trusting the CA, through the
 * platform's verifier or the compiled-in roots (Android's), a device signs in and syncs;
 * without it, it is refused and says why. */
suspend fun overHttps(@Suppress("UNUSED_PARAMETER") plain: Server, devices: Devices) {
    val ca = TestCa()
    val server = Server(ca)
    try {
        if (!server.url.startsWith("https://")) fail("not HTTPS: ${server.url}")
        val phone = devices.open { OnsiteClient.openWithTrust(it, ca.caPem, false) }
        phone.signIn(server.url, "wang", PASSWORD)
        val job = phone.createJob(newJob("Https"))
        phone.sync()
        val tablet = devices.open { OnsiteClient.openWithTrust(it, ca.caPem, true) }
        tablet.signIn(server.url, "wang", PASSWORD)
        tablet.sync()
        if (tablet.listJobs(JobFilter()).none { it.id == job }) fail("the tablet did not get $job over HTTPS")
        for (bundled in listOf(false, true)) {
            val stranger = devices.open { OnsiteClient.openWithTrust(it, null, bundled) }
            val refused = expectThrows<OnsiteException.Network> { runBlocking { stranger.signIn(server.url, "wang", PASSWORD) } }
            if (!refused.toString().contains("certificate")) fail("the refusal does not say why: $refused")
        }
    } finally {
        server.stop()
        ca.remove()
    }
}

fun main() {
    val server = Server()
    val tests = linkedMapOf<String, suspend (Server, Devices) -> Unit>(
        "two devices work offline, sync and converge" to ::twoDevicesWorkOfflineSyncAndConverge,
        "background sync uploads and reports its state" to ::backgroundSyncUploadsAndReportsItsState,
        "a refused change lands in the conflict log" to ::aRefusedChangeLandsInTheConflictLog,
        "error kinds" to ::errorKinds,
        "over HTTPS" to ::overHttps,
    )
    var passed = 0
    var failed = 0
    try {
        for ((name, test) in tests) {
            val devices = Devices()
            try {
                runBlocking { test(server, devices) }
                passed++
                println("ok      $name")
            } catch (e: Throwable) {
                failed++
                println("FAILED  $name: $e")
                e.printStackTrace()
            } finally {
                devices.close()
            }
        }
    } finally {
        server.stop()
    }
    println("kotlin: $passed passed, $failed failed")
    exitProcess(if (failed == 0) 0 else 1)
}
