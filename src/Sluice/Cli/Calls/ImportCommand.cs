using System.CommandLine;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Sluice.Cli.Calls;

/// <summary>
/// <c>sluice import FILE.jsonl [--rate N]</c>: sends a file of Segment messages (one per line) in
/// batches, with a progress bar, and names each line the server refused by its number. It records
/// how far it got next to the file (<c>FILE.jsonl.import-state</c>), so that running it again after an
/// interruption goes on from there; lines without a messageId get one derived from the line, so a
/// batch sent twice (interrupted between the server's answer and the record) is stored once.
/// </summary>
internal static class ImportCommand
{
    private const int ExitSomeRejected = 3;

    public static Command Create()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "A file of Segment messages, one JSON object per line" };
        var rate = new Option<int?>("--rate") { Description = "Most messages per second (default: as fast as the server takes them)" };
        var batchSize = new Option<int>("--batch-size") { Description = "Messages per request (default 100)", DefaultValueFactory = _ => 100 };
        var restart = new Option<bool>("--restart") { Description = "Start from the first line even if an earlier run stopped part-way" };
        var host = TrackingTarget.HostOption();
        var writeKey = TrackingTarget.WriteKeyOption();
        var command = new Command("import", "Send a file of Segment messages (JSON lines) in batches.") { file, rate, batchSize, restart, host, writeKey };
        command.SetAction(async (parse, cancellation) =>
        {
            var input = parse.GetValue(file)!;
            if (TrackingTarget.Resolve(parse, host, writeKey) is not { } target)
            {
                return 2;
            }

            if (!input.Exists)
            {
                Console.Error.WriteLine($"sluice: no such file: {input.FullName}");
                return 2;
            }

            if (parse.GetValue(batchSize) is < 1 or > 2500)
            {
                Console.Error.WriteLine("sluice: --batch-size must be from 1 to 2500.");
                return 2;
            }

            return await new Importer(input, target, parse.GetValue(rate), parse.GetValue(batchSize), parse.GetValue(restart)).RunAsync(cancellation);
        });
        return command;
    }

    private sealed class Importer(FileInfo input, TrackingTarget target, int? rate, int batchSize, bool restart)
    {
        private readonly string _statePath = input.FullName + ".import-state";
        private readonly List<(int Line, string Reason)> _rejected = [];
        private int _sent;

        public async Task<int> RunAsync(CancellationToken cancellation)
        {
            var total = File.ReadLines(input.FullName).Count();
            var start = restart ? 0 : ResumeFrom();
            if (start > 0)
            {
                Console.Error.WriteLine($"sluice: going on from line {start + 1} (an earlier run stopped there; --restart starts again).");
            }

            using var http = new HttpClient { BaseAddress = target.Host };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(target.WriteKey + ":")));
            var failed = false;
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask(Describe(start, total, 0), maxValue: Math.Max(1, total));
                    task.Value = start;
                    var clock = System.Diagnostics.Stopwatch.StartNew();
                    var lineNumber = 0;
                    var batch = new List<(int Line, JsonObject Message)>(batchSize);
                    foreach (var line in File.ReadLines(input.FullName))
                    {
                        lineNumber++;
                        if (lineNumber <= start)
                        {
                            continue;
                        }

                        if (Parse(line, lineNumber) is { } message)
                        {
                            batch.Add((lineNumber, message));
                        }

                        if (batch.Count == batchSize && !await SendAsync(http, batch, lineNumber, clock, cancellation))
                        {
                            failed = true;
                            return;
                        }

                        task.Value = lineNumber;
                        task.Description = Describe(lineNumber, total, _sent / Math.Max(0.001, clock.Elapsed.TotalSeconds));
                    }

                    if (batch.Count > 0 && !await SendAsync(http, batch, lineNumber, clock, cancellation))
                    {
                        failed = true;
                        return;
                    }

                    SaveState(lineNumber);
                    task.Value = total;
                    task.Description = Describe(total, total, _sent / Math.Max(0.001, clock.Elapsed.TotalSeconds));
                });

            if (failed)
            {
                Console.Error.WriteLine($"sluice: stopped; run the same command again to go on from line {ResumeFrom() + 1}.");
                return 1;
            }

            File.Delete(_statePath);
            Console.WriteLine($"imported {_sent:N0} of {total:N0} lines; {_rejected.Count:N0} rejected");
            foreach (var (line, reason) in _rejected.OrderBy(r => r.Line))
            {
                Console.WriteLine($"line {line}: {reason}");
            }

            return _rejected.Count == 0 ? 0 : ExitSomeRejected;
        }

        private static string Describe(int done, int total, double perSecond) =>
            $"{done:N0}/{total:N0} lines · {perSecond:N0}/s";

        private JsonObject? Parse(string line, int lineNumber)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                return null;
            }

            JsonNode? node;
            try
            {
                node = JsonNode.Parse(line);
            }
            catch (JsonException exception)
            {
                _rejected.Add((lineNumber, $"not valid JSON: {exception.Message}"));
                return null;
            }

            if (node is not JsonObject message)
            {
                _rejected.Add((lineNumber, "not a JSON object"));
                return null;
            }

            // A messageId derived from the line: sending it twice (a resumed run) stores it once.
            if (message["messageId"] is null)
            {
                message["messageId"] = "import-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{lineNumber}\n{line}")))[..32];
            }

            return message;
        }

        private async Task<bool> SendAsync(HttpClient http, List<(int Line, JsonObject Message)> batch, int lastLine, System.Diagnostics.Stopwatch clock, CancellationToken cancellation)
        {
            if (rate is > 0 and var perSecond)
            {
                var due = TimeSpan.FromSeconds((_sent + _rejected.Count + batch.Count) / (double)perSecond) - clock.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, cancellation);
                }
            }

            if (!await PostAsync(http, batch, cancellation))
            {
                return false;
            }

            batch.Clear();
            SaveState(lastLine);
            return true;
        }

        /// <summary>
        /// Sends the lines; retries what may pass later (network, 408, 429, 5xx). A batch the server
        /// refuses as a whole (every line invalid, or too large) is sent again line by line, so that
        /// each refused line is named; a single refused line is recorded with the server's words.
        /// </summary>
        private async Task<bool> PostAsync(HttpClient http, List<(int Line, JsonObject Message)> batch, CancellationToken cancellation)
        {
            var body = new JsonObject { ["batch"] = new JsonArray([.. batch.Select(b => b.Message.DeepClone())]) };
            for (var attempt = 0; ; attempt++)
            {
                HttpResponseMessage response;
                try
                {
                    response = await http.PostAsync("v1/batch", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), cancellation);
                }
                catch (Exception exception) when ((exception is HttpRequestException || (exception is TaskCanceledException && !cancellation.IsCancellationRequested)) && attempt < 5)
                {
                    AnsiConsole.MarkupLineInterpolated($"[yellow]no answer ({exception.Message}); retrying[/]");
                    await Task.Delay(TimeSpan.FromSeconds(Math.Pow(2, attempt)), cancellation);
                    continue;
                }
                catch (Exception exception) when (exception is HttpRequestException || (exception is TaskCanceledException && !cancellation.IsCancellationRequested))
                {
                    Console.Error.WriteLine($"sluice: no answer from {target.Host}: {exception.Message}");
                    return false;
                }

                using (response)
                {
                    var answer = await response.Content.ReadAsStringAsync(cancellation);
                    if ((int)response.StatusCode is 408 or 429 or >= 500 && attempt < 5)
                    {
                        await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(Math.Pow(2, attempt)), cancellation);
                        continue;
                    }

                    if ((int)response.StatusCode is 400 or 413 && batch.Count > 1)
                    {
                        foreach (var line in batch)
                        {
                            if (!await PostAsync(http, [line], cancellation))
                            {
                                return false;
                            }
                        }

                        return true;
                    }

                    if ((int)response.StatusCode is 400 or 413)
                    {
                        // Sluice names the refused message in "rejected" even when it refuses the whole request.
                        var named = Rejections(answer, batch);
                        _rejected.Add(named.Count > 0 ? named[0] : (batch[0].Line, Refusal(answer, (int)response.StatusCode)));
                        return true;
                    }

                    if (!response.IsSuccessStatusCode)
                    {
                        Console.Error.WriteLine($"sluice: the server refused lines {batch[0].Line}–{batch[^1].Line}: HTTP {(int)response.StatusCode} {answer}");
                        return false;
                    }

                    var refused = Rejections(answer, batch);
                    _rejected.AddRange(refused);
                    _sent += batch.Count - refused.Count;
                    return true;
                }
            }
        }

        /// <summary>The server's error for a refused request, as "field: message" when it names a field.</summary>
        private static string Refusal(string answer, int status)
        {
            try
            {
                var error = JsonNode.Parse(answer)?["error"];
                var message = (string?)error?["message"] ?? $"HTTP {status}";
                return (string?)error?["field"] is { Length: > 0 } field ? $"{field}: {message}" : message;
            }
            catch (JsonException)
            {
                return $"HTTP {status}: {answer}";
            }
        }

        /// <summary>The server's partial batch answer names refused messages by index: each becomes its line's number and the reason.</summary>
        private static List<(int Line, string Reason)> Rejections(string answer, List<(int Line, JsonObject Message)> batch)
        {
            var result = new List<(int, string)>();
            if (JsonNode.Parse(answer)?["rejected"] is not JsonArray rejected)
            {
                return result;
            }

            foreach (var entry in rejected)
            {
                if (entry?["index"] is JsonValue index && index.TryGetValue<int>(out var i) && i >= 0 && i < batch.Count)
                {
                    var field = (string?)entry["field"];
                    var error = (string?)entry["error"] ?? "rejected";
                    result.Add((batch[i].Line, string.IsNullOrEmpty(field) ? error : $"{field}: {error}"));
                }
            }

            return result;
        }

        private int ResumeFrom()
        {
            try
            {
                var state = JsonNode.Parse(File.ReadAllText(_statePath));
                // A file that changed since is a different import.
                return (long?)state?["length"] == input.Length && (string?)state?["modified"] == input.LastWriteTimeUtc.ToString("O") ? (int?)state?["linesDone"] ?? 0 : 0;
            }
            catch (Exception exception) when (exception is IOException or JsonException or UnauthorizedAccessException)
            {
                return 0;
            }
        }

        private void SaveState(int linesDone)
        {
            var state = new JsonObject { ["length"] = input.Length, ["modified"] = input.LastWriteTimeUtc.ToString("O"), ["linesDone"] = linesDone };
            var temporary = _statePath + ".tmp";
            File.WriteAllText(temporary, state.ToJsonString());
            File.Move(temporary, _statePath, overwrite: true);
        }
    }
}
