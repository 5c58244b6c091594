using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Hosting;

/// <summary>Safe defaults on disk and on the wire, without an operator having to ask for them.</summary>
public sealed class SafeDefaultsTests
{
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_data_folder_is_the_owners_alone_and_so_are_the_database_files()
    {
        await using var sluice = await InProcessServer.StartAsync();
        await sluice.PostAsync("/v1/track", """{"userId":"u","event":"E"}""");

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(sluice.DataDirectory));
        foreach (var name in new[] { "sluice.db", "sluice.db-wal", "sluice.db-shm", "profiles.db" })
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(sluice.DataDirectory, name)));
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_keys_that_encrypt_destination_settings_are_the_owners_alone_and_their_files_from_the_next_start()
    {
        var data = Path.Combine(Path.GetTempPath(), "sluice-keys-" + Guid.NewGuid().ToString("N"));
        try
        {
            await using (var first = await InProcessServer.StartAsync(o => o with { DataDirectory = data }))
            {
                // A destination's secret is encrypted with a key written when the first one is.
                var made = await first.Admin.PostAsJsonAsync("/api/v1/destinations", new
                {
                    id = "fs",
                    type = "actions-fullstory-cloud",
                    sources = new[] { "web" },
                    settings = new { apiKey = "fs-secret", baseUrl = "http://127.0.0.1:9" },
                });
                Assert.True(made.IsSuccessStatusCode, await made.Content.ReadAsStringAsync());
            }

            var keys = Path.Combine(data, "keys");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(keys));
            var files = Directory.GetFiles(keys);
            Assert.NotEmpty(files);
            // As another user's default mode would leave a new key file.
            File.SetUnixFileMode(files[0], UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

            await using (var second = await InProcessServer.StartAsync(o => o with { DataDirectory = data }))
            {
                Assert.All(Directory.GetFiles(keys), file => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file)));
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Admin_API_answers_and_refusals_say_no_cache_may_keep_them()
    {
        await using var sluice = await InProcessServer.StartAsync();

        var answer = await sluice.Admin.GetAsync("/api/v1/sources");
        var refusal = await sluice.Http.GetAsync("/api/v1/sources");

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.True(answer.Headers.CacheControl?.NoStore);
        Assert.Equal(HttpStatusCode.Unauthorized, refusal.StatusCode);
        Assert.True(refusal.Headers.CacheControl?.NoStore);
    }

    [Fact]
    public async Task The_API_reference_page_loads_nothing_from_elsewhere_and_cannot_be_framed()
    {
        await using var sluice = await InProcessServer.StartAsync();

        var page = await sluice.Http.GetAsync("/api/v1/reference/index.html");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var policy = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'self'", policy);
        Assert.Contains("frame-ancestors 'none'", policy);
        Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());
    }

    [Fact]
    public async Task A_broken_chunked_body_is_a_400_and_one_information_line_not_an_error_with_a_stack()
    {
        var workspace = await TestWorkspace.CreateAsync("sources:\n  - {id: web, writeKey: wk_chunks}\n");
        await using var sluice = await workspace.StartAsync();
        var uri = new Uri(sluice.BaseUrl);

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port);
        var stream = tcp.GetStream();
        var request = $"POST /v1/track HTTP/1.1\r\nHost: {uri.Authority}\r\nAuthorization: Basic {Convert.ToBase64String("wk_chunks:"u8.ToArray())}\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nnot a chunk\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        var buffer = new byte[4096];
        var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        var answer = Encoding.ASCII.GetString(buffer, 0, read);
        // The server logs after it answers: wait for its line, not for a fixed time.
        for (var i = 0; i < 100 && !sluice.Output.Contains("the client's request was broken", StringComparison.Ordinal); i++)
        {
            await Task.Delay(50);
        }

        Assert.StartsWith("HTTP/1.1 400", answer);
        Assert.Contains("the client's request was broken", sluice.Output);
        Assert.DoesNotContain("fail:", sluice.Output);
        Assert.DoesNotContain("   at ", sluice.Output);
    }

    [Fact]
    public async Task Health_is_503_with_the_reason_while_the_store_cannot_commit_and_200_once_it_can()
    {
        var folder = TestPaths.NewTemporaryDirectory();
        var mount = Process.Start("mount", ["-t", "tmpfs", "-o", "size=6m", "tmpfs", folder]);
        await mount.WaitForExitAsync();
        Assert.True(mount.ExitCode == 0, "a tmpfs stands in for a small disk: this test needs to mount one (root)");
        try
        {
            await using var sluice = await SluiceProcess.StartAsync(Path.Combine(folder, "data"));
            using var client = new HttpClient { BaseAddress = new Uri(sluice.BaseUrl) };
            var writeKey = sluice.PrintedWriteKey("default")!;
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));
            var filler = Path.Combine(folder, "filler");
            FillDisk(filler);

            var padding = new string('x', 30_000);
            HttpResponseMessage? refused = null;
            for (var i = 0; i < 200 && refused is null; i++)
            {
                var response = await client.PostAsync("/v1/track", new StringContent($$$"""{"userId":"u","event":"Full","properties":{"p":"{{{padding}}}"}}"""));
                refused = response.StatusCode == HttpStatusCode.ServiceUnavailable ? response : null;
            }

            Assert.NotNull(refused);
            var health = await client.GetAsync("/health");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
            Assert.Contains("the store cannot commit", (string?)JsonNode.Parse(await health.Content.ReadAsStringAsync())!["reason"]);

            File.Delete(filler);
            for (var i = 0; i < 100 && (await client.GetAsync("/health")).StatusCode != HttpStatusCode.OK; i++)
            {
                await Task.Delay(100);
            }

            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/v1/track", new StringContent("""{"userId":"u","event":"Room again"}"""))).StatusCode);
        }
        finally
        {
            using var unmount = Process.Start("umount", ["-l", folder]);
            await unmount.WaitForExitAsync();
        }
    }

    private static void FillDisk(string path)
    {
        var chunk = new byte[64 * 1024];
        using var file = File.OpenWrite(path);
        try
        {
            while (true)
            {
                file.Write(chunk);
                file.Flush(flushToDisk: true);
            }
        }
        catch (IOException)
        {
            // The disk is full.
        }
    }
}
