package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.File;
import java.io.StringReader;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import java.util.logging.Level;

/**
 * The dashboard in a real browser (Debian's headless chromium, driven by Selenium through Debian's
 * chromedriver) against the deployed WAR with real agents: sign-in, live updates from the event stream,
 * a live log, a cancel with its confirmation, a read-only token, the explanation of a held job. Each page
 * is saved as a screenshot under target/screenshots (docs/screenshots holds the current ones).
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class DashboardIT {
    private static final String CHROMIUM = "/usr/bin/chromium";
    private static final String CHROMEDRIVER = "/usr/bin/chromedriver";
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String ADMIN = System.getenv("ORCH_API_TOKEN");
    private static final String READ = SecurityIT.READ;
    private static final Path SHOTS = Path.of("target", "screenshots");

    private static WebDriver browser;

    /** At the context root, as in production: the dashboard is the WAR's "/". */
    @Deployment
    static WebArchive deployment() {
        return ShrinkWrap.create(WebArchive.class, "ROOT.war")
                .merge(ShrinkWrap.createFromZipFile(WebArchive.class, new File(System.getProperty("orch.war"))));
    }

    @ArquillianResource
    URL base;

    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void browser() throws Exception {
        assertThat(new File(CHROMIUM)).as("Debian's chromium (apt-get install -y chromium chromium-driver; "
                + ".ci/run installs it)").exists();
        assertThat(new File(CHROMEDRIVER)).as("Debian's chromedriver (apt-get install -y chromium-driver)")
                .exists();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,800");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL); // the console: CSP violations and script errors land there
        options.setCapability("goog:loggingPrefs", logs);
        browser = new ChromeDriver(new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER)).build(), options);
        Files.createDirectories(SHOTS);
    }

    /** After each test: the browser's console has no error (a CSP violation, a failed script, an uncaught error). */
    @org.junit.jupiter.api.AfterEach
    void consoleIsClean() {
        List<String> errors = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                .map(LogEntry::getMessage)
                // refusals the tests provoke on purpose: the bad token, the forged action, the unknown job
                .filter(m -> !m.matches("(?s).*api/(tokens/me|jobs/\\d+/cancel|jobs/987654321|nodes) - Failed to load "
                        + "resource: the server responded with a status of 40[134].*"))
                .toList();
        assertThat(errors).as("the browser console").isEmpty();
    }

    @AfterAll
    static void close() {
        if (browser != null) {
            browser.quit();
        }
    }

    // ------------------------------------------------------------------ helpers

    private String page(String hash) {
        return base.toString().replaceAll("/$", "") + "/" + hash;
    }

    private HttpResponse<String> api(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base.toString().replaceAll("/$", "") + "/api/" + path))
                .header("Authorization", "Bearer " + token);
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return http.send(b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private long enqueue(String agent, String repo) throws Exception {
        return enqueue(agent, repo, "");
    }

    private long enqueue(String agent, String repo, String extra) throws Exception {
        HttpResponse<String> r = api("POST", "jobs", ADMIN, "{\"agent\": \"" + agent + "\", \"repo\": \"" + repo
                + "\"" + extra + "}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return json(r.body()).getJsonNumber("id").longValue();
    }

    private String statusOf(long id) throws Exception {
        return json(api("GET", "jobs/" + id, ADMIN, null).body()).getString("status");
    }

    private static JsonObject json(String body) {
        return Json.createReader(new StringReader(body)).readObject();
    }

    /**
     * Forgets the tab's token on a page of the same origin that runs no script (the favicon), so that no
     * page of the previous test is still running when the token goes.
     */
    private void signedOut() {
        browser.get(page("app/favicon.svg"));
        ((JavascriptExecutor) browser).executeScript("sessionStorage.clear()");
    }

    /** Opens the dashboard afresh in this tab, signs in with {@code token}, then goes to {@code hash}. */
    private void signIn(String token, String hash) {
        signedOut();
        browser.get(page("#/"));
        WebElement field = waitFor(By.id("token"));
        field.sendKeys(token);
        browser.findElement(By.cssSelector("#sign-in button[type=submit]")).click();
        waitFor(By.id("who-name"));
        browser.get(page(hash));
        await().atMost(WAIT).until(() -> browser.getCurrentUrl().endsWith(hash));
    }

    private WebElement waitFor(By by) {
        return await().atMost(WAIT).ignoreExceptions().until(() -> browser.findElement(by), e -> e.isDisplayed());
    }

    /** Clicks what {@code by} finds, finding it again if the page redrew it meanwhile (live pages redraw). */
    private void click(By by) {
        await().atMost(WAIT).ignoreExceptionsInstanceOf(org.openqa.selenium.StaleElementReferenceException.class)
                .ignoreExceptionsInstanceOf(org.openqa.selenium.NoSuchElementException.class)
                .until(() -> {
                    browser.findElement(by).click();
                    return true;
                });
    }

    private void waitForText(By by, String text) {
        try {
            await().atMost(WAIT).ignoreExceptions().until(() -> browser.findElement(by).getText(), t -> t.contains(text));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("no '" + text + "' in " + by + "; the page says:\n" + body(), e);
        }
    }

    /** The whole page (the window grown to its height for the shot, at the same width), then the window back. */
    private void screenshot(String name) throws Exception {
        Dimension window = browser.manage().window().getSize();
        long height = ((Number) ((JavascriptExecutor) browser).executeScript(
                "return document.documentElement.scrollHeight")).longValue();
        browser.manage().window().setSize(new Dimension(window.getWidth(),
                (int) Math.min(2400, Math.max(window.getHeight(), height + 140))));
        try {
            Path shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
            Files.copy(shot, SHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
        } finally {
            browser.manage().window().setSize(window);
        }
    }

    private String body() {
        return browser.findElement(By.tagName("body")).getText();
    }

    private void cancelQuietly(long id) throws Exception {
        api("POST", "jobs/" + id + "/cancel", ADMIN, null); // 409 if it has ended: fine
    }

    // ------------------------------------------------------------------ the tests

    @Test
    void signing_in_keeps_the_token_out_of_the_url_and_a_job_enqueued_by_the_api_appears_without_reload()
            throws Exception {
        signedOut();
        browser.get(page("#/jobs"));
        waitFor(By.id("token")).sendKeys("not-a-token-0123456789");
        browser.findElement(By.cssSelector("#sign-in button[type=submit]")).click();
        waitForText(By.id("sign-in-status"), "not valid");
        screenshot("sign-in");

        signIn(ADMIN, "#/jobs");
        assertThat(browser.getCurrentUrl()).doesNotContain(ADMIN);
        assertThat((String) ((JavascriptExecutor) browser).executeScript(
                "return sessionStorage.getItem('orchestrator.token')")).isEqualTo(ADMIN);
        await().atMost(WAIT).until(() -> "on".equals(browser.findElement(By.id("live-state")).getAttribute("data-live")));
        Object marker = ((JavascriptExecutor) browser).executeScript("return window.reloadMarker = 'same page'");

        long id = enqueue("echo", "dash-live");
        By row = By.cssSelector("tr[data-job='" + id + "']");
        waitFor(row);
        waitForText(By.cssSelector("tr[data-job='" + id + "'] .job-status"), "done");
        assertThat(((JavascriptExecutor) browser).executeScript("return window.reloadMarker")).as("no reload")
                .isEqualTo(marker);
        screenshot("jobs");

        browser.get(page("#/jobs/" + id)); // a deep link
        waitForText(By.id("job-head"), "Job " + id);
        waitForText(By.id("log-text"), "repo=dash-live");
    }

    @Test
    void a_running_jobs_log_grows_live_and_ends_with_its_outcome() throws Exception {
        long id = enqueue("talk", "dash-talk", ", \"max_attempts\": 1"); // one run: its log is the job's last
        signIn(ADMIN, "#/jobs/" + id);
        waitForText(By.id("log-text"), "line 1 é€");
        assertThat(statusOf(id)).as("the first lines show while the agent still runs").isEqualTo("running");
        assertThat(browser.findElement(By.id("log-text")).getText()).doesNotContain("line 5");
        screenshot("job-live-log");
        waitForText(By.id("log-outcome"), "failed");
        assertThat(browser.findElement(By.id("log-text")).getText())
                .isEqualTo("line 1 é€\nline 2 é€\nline 3 é€\nline 4 é€\nline 5 é€");
        waitForText(By.id("log-state"), "exit code 3");
        waitForText(By.id("job-head"), "failed");
    }

    @Test
    void a_running_job_is_cancelled_then_retried_from_the_page_each_after_a_confirmation() throws Exception {
        long id = enqueue("sleepy", "dash-cancel");
        try {
            signIn(ADMIN, "#/jobs/" + id);
            waitForText(By.id("job-head"), "running");
            click(By.cssSelector("[data-action=cancel]"));
            WebElement dialog = waitFor(By.cssSelector("dialog.confirm"));
            assertThat(dialog.getText()).contains("Cancel job " + id, "stop its agent");
            screenshot("confirm-cancel");
            dialog.findElement(By.cssSelector("[data-action=back]")).click();
            assertThat(statusOf(id)).as("Back changes nothing").isEqualTo("running");

            click(By.cssSelector("[data-action=cancel]"));
            click(By.cssSelector("dialog.confirm [data-action=confirm]"));
            waitForText(By.id("job-head"), "cancelled");
            assertThat(statusOf(id)).isEqualTo("cancelled");
            assertThat(browser.findElements(By.cssSelector("[data-action=cancel]"))).isEmpty();

            click(By.cssSelector("[data-action=retry]")); // and back again, also after a confirmation
            WebElement retry = waitFor(By.cssSelector("dialog.confirm"));
            assertThat(retry.getText()).contains("Retry job " + id);
            retry.findElement(By.cssSelector("[data-action=confirm]")).click();
            await().atMost(WAIT).until(() -> statusOf(id).equals("running"));
            waitForText(By.id("job-head"), "running");
            waitFor(By.cssSelector("[data-action=cancel]"));
        } finally {
            cancelQuietly(id);
        }
    }

    @Test
    void a_read_only_token_sees_no_action_and_a_forged_action_from_the_page_gets_403() throws Exception {
        long id = enqueue("sleepy", "dash-read");
        try {
            await().atMost(WAIT).until(() -> statusOf(id).equals("running"));
            signIn(READ, "#/jobs/" + id);
            waitForText(By.id("job-head"), "running");
            waitForText(By.id("log-state"), "Following");
            assertThat(browser.findElements(By.cssSelector("[data-action]"))).isEmpty();
            assertThat(browser.findElement(By.id("nav-audit")).isDisplayed()).isFalse();
            browser.get(page("#/"));
            waitFor(By.cssSelector("[data-count=running]"));
            assertThat(browser.findElements(By.cssSelector("[data-action]"))).isEmpty();

            Object status = ((JavascriptExecutor) browser).executeAsyncScript("const done = arguments[0];"
                    + "fetch('api/jobs/" + id + "/cancel', {method: 'POST', headers: {Authorization: 'Bearer ' + "
                    + "sessionStorage.getItem('orchestrator.token')}}).then(r => done(r.status), e => done(-1));");
            assertThat(((Number) status).intValue()).isEqualTo(403);
            assertThat(statusOf(id)).isEqualTo("running");
        } finally {
            cancelQuietly(id);
        }
    }

    @Test
    void a_job_held_by_a_busy_repo_says_so_and_links_the_job_that_holds_it() throws Exception {
        long busy = enqueue("sleepy", "dash-busy");
        try {
            await().atMost(WAIT).until(() -> statusOf(busy).equals("running"));
            long held = enqueue("echo", "dash-busy");
            signIn(ADMIN, "#/jobs/" + held);
            WebElement reason = waitFor(By.cssSelector("#waiting-for li[data-gate=repo_busy]"));
            assertThat(reason.getText()).contains("repo is busy", "#" + busy);
            assertThat(reason.findElement(By.tagName("a")).getAttribute("href")).endsWith("#/jobs/" + busy);
            screenshot("job-waiting");

            browser.get(page("#/"));
            waitFor(By.cssSelector("td[data-gate=repo_busy]"));
            await().atMost(WAIT).ignoreExceptions().until(() -> Integer.parseInt(browser.findElement(
                    By.cssSelector("td[data-gate=repo_busy]")).getText()) >= 1);
            screenshot("overview");
        } finally {
            cancelQuietly(busy);
        }
    }

    private List<String> pausedRepos() throws Exception {
        return json(api("GET", "queue", ADMIN, null).body()).getJsonObject("paused").getJsonArray("repos")
                .getValuesAs(jakarta.json.JsonString.class).stream().map(jakarta.json.JsonString::getString).toList();
    }

    private void pauseOrResumeRepo(String action, String repo) {
        WebElement field = waitFor(By.id("pause-repo"));
        field.clear();
        field.sendKeys(repo);
        browser.findElement(By.cssSelector("[data-action=" + action + "]")).click();
        WebElement dialog = waitFor(By.cssSelector("dialog.confirm"));
        assertThat(dialog.getText()).contains("repo " + repo);
        dialog.findElement(By.cssSelector("[data-action=confirm]")).click();
    }

    @Test
    void a_repo_is_paused_and_resumed_from_the_overview_after_a_confirmation() throws Exception {
        signIn(ADMIN, "#/");
        pauseOrResumeRepo("pause-repo", "dash-paused");
        await().atMost(WAIT).until(() -> pausedRepos().contains("dash-paused"));
        waitForText(By.id("pause-state"), "dash-paused");
        long id = enqueue("echo", "dash-paused");
        browser.get(page("#/jobs/" + id));
        assertThat(waitFor(By.cssSelector("#waiting-for li[data-gate=paused]")).getText()).contains("paused");

        browser.get(page("#/"));
        pauseOrResumeRepo("resume-repo", "dash-paused");
        await().atMost(WAIT).until(() -> !pausedRepos().contains("dash-paused"));
        await().atMost(WAIT).until(() -> statusOf(id).equals("done"));
    }

    @Test
    void a_token_the_server_stops_accepting_sends_the_page_back_to_sign_in() throws Exception {
        signIn(ADMIN, "#/nodes");
        waitFor(By.cssSelector("#nodes tr[data-node]"));
        // as if the token were removed from the tokens file and the server restarted: the next call gets 401
        ((JavascriptExecutor) browser).executeScript("sessionStorage.setItem('orchestrator.token', "
                + "'no-longer-valid-0123456789')");
        waitForText(By.id("sign-in-status"), "no longer accepts this token");
        assertThat((Object) ((JavascriptExecutor) browser).executeScript(
                "return sessionStorage.getItem('orchestrator.token')")).isNull();
        assertThat(browser.findElement(By.id("nav")).isDisplayed()).isFalse();
    }

    @Test
    void pages_and_answers_carry_a_content_security_policy_that_allows_only_the_wars_own_files() throws Exception {
        for (String path : List.of("/", "/app/app.js", "/api.html", "/api/queue")) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base.toString().replaceAll("/$", "")
                    + path)).header("Authorization", "Bearer " + ADMIN).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.headers().firstValue("Content-Security-Policy")).as(path).hasValueSatisfying(csp ->
                    assertThat(csp).contains("script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"));
            assertThat(r.headers().firstValue("X-Content-Type-Options")).as(path).contains("nosniff");
        }
        // and the policy holds no page back: the chart and the API explorer draw (the console is checked after)
        signIn(ADMIN, "#/");
        waitFor(By.cssSelector("#throughput .uplot"));
        browser.get(page("api.html"));
        waitFor(By.cssSelector(".swagger-ui .opblock"));
    }

    @Test
    void nodes_audit_an_unknown_job_and_a_phone_width_show_no_stack_trace() throws Exception {
        signIn(ADMIN, "#/nodes");
        waitFor(By.cssSelector("#nodes tr[data-node]"));
        assertThat(browser.findElement(By.cssSelector("#nodes tr[data-node]")).getText()).contains("live");
        screenshot("nodes");

        long id = enqueue("sleepy", "dash-audit");
        api("POST", "jobs/" + id + "/cancel", ADMIN, null);
        browser.get(page("#/audit"));
        waitForText(By.id("audit"), "#" + id);
        assertThat(browser.findElement(By.id("audit")).getText()).doesNotContain("null");
        screenshot("audit");

        browser.get(page("#/jobs/987654321"));
        waitForText(By.id("job-head"), "No job 987654321");
        browser.get(page("#/no-such-page"));
        waitForText(By.id("view"), "No such page");
        for (String text : List.of(body())) {
            assertThat(text).doesNotContain("Exception", "at dev.", "at java.");
        }

        browser.get(page("api.html")); // the API explorer: Swagger UI over /openapi, with the tab's token
        waitForText(By.cssSelector(".swagger-ui .info"), "Orchestrator");
        waitFor(By.cssSelector(".swagger-ui .opblock"));
        screenshot("api-explorer");

        browser.manage().window().setSize(new Dimension(390, 844));
        try {
            browser.get(page("#/"));
            waitFor(By.cssSelector("[data-count=queued]"));
            Object overflow = ((JavascriptExecutor) browser).executeScript(
                    "return document.documentElement.scrollWidth - document.documentElement.clientWidth");
            assertThat(((Number) overflow).intValue()).as("no sideways scrolling at a phone's width").isLessThanOrEqualTo(0);
            screenshot("overview-phone");
        } finally {
            browser.manage().window().setSize(new Dimension(1280, 800));
        }
    }
}
