using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Cli;

/// <summary><c>sluice import FILE.jsonl</c>: batches, rejected lines named by number, and going on after an interruption.</summary>
public sealed class ImportCommandTests
{
    [Fact]
    public async Task Importing_a_file_with_bad_lines_stores_the_good_ones_and_names_the_bad_ones_by_line()
    {
        var workspace = await TestWorkspace.CreateAsync("sources:\n  - {id: web, writeKey: wk_import}\n");
        await using var server = await workspace.StartAsync();
        var file = Path.Combine(TestPaths.NewTemporaryDirectory(), "calls.jsonl");
        await File.WriteAllLinesAsync(file,
        [
            """{"type":"track","userId":"u1","event":"A","messageId":"imp-1"}""",
            "this is not json",
            """{"type":"track","userId":"u1"}""",
            "",
            """{"type":"identify","userId":"u1","traits":{"plan":"pro"}}""",
            """[1,2]""",
        ]);

        var result = await SluiceCli.RunAsync(["import", file, "--batch-size", "2", "--host", server.BaseUrl, "--write-key", "wk_import"]);

        Assert.Equal(3, result.ExitCode);
        var lines = result.Output.Split('\n');
        Assert.Contains("imported 2 of 6 lines; 3 rejected", lines);
        Assert.Contains(lines, l => l.StartsWith("line 2: not valid JSON", StringComparison.Ordinal));
        Assert.Contains("line 3: event: track needs a non-empty event name", lines);
        Assert.Contains("line 6: not a JSON object", lines);
        var stored = (await server.EventsAsync("web")).Select(e => e!.AsObject()).ToList();
        Assert.Equal(2, stored.Count);
        Assert.Contains(stored, e => (string?)e["messageId"] == "imp-1");
        Assert.Contains(stored, e => ((string?)e["messageId"])!.StartsWith("import-", StringComparison.Ordinal) && (string?)e["traits"]!["plan"] == "pro");
        Assert.False(File.Exists(file + ".import-state"));
    }

    [Fact]
    public async Task A_batch_the_server_refuses_as_a_whole_is_split_to_name_each_refused_line()
    {
        var workspace = await TestWorkspace.CreateAsync("sources:\n  - {id: web, writeKey: wk_import}\n");
        await using var server = await workspace.StartAsync();
        var file = Path.Combine(TestPaths.NewTemporaryDirectory(), "calls.jsonl");
        await File.WriteAllLinesAsync(file,
        [
            """{"type":"track","userId":"u1"}""",
            """{"type":"group","userId":"u1"}""",
            """{"type":"track","userId":"u1","event":"Kept"}""",
        ]);

        var result = await SluiceCli.RunAsync(["import", file, "--batch-size", "2", "--host", server.BaseUrl, "--write-key", "wk_import"]);

        Assert.Equal(3, result.ExitCode);
        var lines = result.Output.Split('\n');
        Assert.Contains("imported 1 of 3 lines; 2 rejected", lines);
        Assert.Contains("line 1: event: track needs a non-empty event name", lines);
        Assert.Contains(lines, l => l.StartsWith("line 2: groupId: ", StringComparison.Ordinal));
        Assert.Equal("Kept", (string?)Assert.Single(await server.EventsAsync("web"))!["event"]);
    }

    [Fact]
    public async Task An_interrupted_import_goes_on_from_where_it_stopped()
    {
        await using var service = await RecordingServer.StartAsync();
        var file = Path.Combine(TestPaths.NewTemporaryDirectory(), "calls.jsonl");
        await File.WriteAllLinesAsync(file, Enumerable.Range(1, 6).Select(i => $$"""{"type":"track","userId":"u","event":"E{{i}}"}"""));
        string[] arguments = ["import", file, "--batch-size", "2", "--host", service.BaseUrl, "--write-key", "wk"];

        // The second batch is refused for a reason retrying cannot change (the write key, say): the import stops after the first.
        service.AnswerNext(new ScriptedAnswer(200, """{"success":true}"""), new ScriptedAnswer(401, """{"success":false}"""));
        var stopped = await SluiceCli.RunAsync(arguments);
        var resumed = await SluiceCli.RunAsync(arguments);

        Assert.Equal(1, stopped.ExitCode);
        Assert.Contains("run the same command again to go on from line 3", stopped.Errors, StringComparison.Ordinal);
        Assert.Equal(0, resumed.ExitCode);
        Assert.Contains("going on from line 3", resumed.Errors, StringComparison.Ordinal);
        var events = service.Received.Select(r => JsonNode.Parse(r.Body)!["batch"]!.AsArray().Select(m => (string)m!["event"]!).ToList()).ToList();
        Assert.Equal([["E1", "E2"], ["E3", "E4"], ["E3", "E4"], ["E5", "E6"]], events);
        // The batch sent twice carries the same derived messageIds, so the server stores it once.
        Assert.Equal(
            JsonNode.Parse(service.Received[1].Body)!["batch"]!.AsArray().Select(m => (string?)m!["messageId"]),
            JsonNode.Parse(service.Received[2].Body)!["batch"]!.AsArray().Select(m => (string?)m!["messageId"]));
    }
}
