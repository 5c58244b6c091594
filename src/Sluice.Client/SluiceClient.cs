using System.Buffers;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Sluice.Client;

/// <summary>
/// Sends identify, track, page, screen, group and alias calls to a Segment-compatible Tracking API.
/// A call never waits for the network: it turns the message into JSON, queues it and returns its
/// messageId; a background task sends the queue in batches, retrying what fails for a reason worth
/// retrying. Thread-safe; create one per process (or register it with <c>AddSluiceClient</c>).
/// </summary>
public sealed partial class SluiceClient : IDisposable, IAsyncDisposable
{
    /// <summary>The Tracking API's limit for one message.</summary>
    public const int MaxMessageBytes = 32 * 1024;

    /// <summary>The Tracking API's limit for one batch request (uncompressed).</summary>
    public const int MaxBatchBytes = 500 * 1024;

    internal static readonly string LibraryVersion = typeof(SluiceClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private readonly SluiceClientOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<QueuedMessage> _queue;
    private readonly BatchSender _sender;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _flushLock = new();
    private readonly List<(long Target, TaskCompletionSource Done)> _flushWaiters = [];
    private readonly Task _worker;
    [ThreadStatic]
    private static (ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Writer)? t_writer;

    private TaskCompletionSource _flushRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _enqueued;
    private long _handled;
    private long _dropped;
    private int _disposed;

    public SluiceClient(SluiceClientOptions options, ILogger<SluiceClient>? logger = null)
        : this(options, logger, handler: null)
    {
    }

    internal SluiceClient(SluiceClientOptions options, ILogger<SluiceClient>? logger, HttpMessageHandler? handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(options.WriteKey);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.FlushAt, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxQueueSize, 1);
        _options = options;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _queue = Channel.CreateBounded<QueuedMessage>(new BoundedChannelOptions(options.MaxQueueSize) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _sender = new BatchSender(options, handler, _logger);
        _worker = Task.Run(RunAsync);
    }

    /// <summary>Messages that could not be delivered, with the reason (the server's answer when there was one). Raised on the client's background task.</summary>
    public event Action<SluiceClientFailure>? Failed;

    /// <summary>Calls dropped because the queue was full.</summary>
    public long DroppedMessages => Interlocked.Read(ref _dropped);

    /// <summary>Messages queued and not yet sent (or given up on).</summary>
    public long QueuedMessages => Interlocked.Read(ref _enqueued) - Interlocked.Read(ref _handled);

    /// <summary>Who the user is and what is known about them.</summary>
    /// <returns>The call's messageId.</returns>
    public string Identify(string? userId, IDictionary<string, object?>? traits = null, MessageOptions? options = null) =>
        Enqueue("identify", userId, options, w => WriteObject(w, "traits", traits));

    /// <summary>Something the user did.</summary>
    public string Track(string? userId, string @event, IDictionary<string, object?>? properties = null, MessageOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(@event);
        return Enqueue("track", userId, options, w =>
        {
            w.WriteString("event", @event);
            WriteObject(w, "properties", properties);
        });
    }

    /// <summary>A page the user saw (web).</summary>
    public string Page(string? userId, string? name = null, IDictionary<string, object?>? properties = null, string? category = null, MessageOptions? options = null) =>
        Enqueue("page", userId, options, w =>
        {
            WriteText(w, "name", name);
            WriteText(w, "category", category);
            WriteObject(w, "properties", properties);
        });

    /// <summary>A screen the user saw (mobile).</summary>
    public string Screen(string? userId, string? name = null, IDictionary<string, object?>? properties = null, MessageOptions? options = null) =>
        Enqueue("screen", userId, options, w =>
        {
            WriteText(w, "name", name);
            WriteObject(w, "properties", properties);
        });

    /// <summary>A group (company, team, account) the user belongs to.</summary>
    public string Group(string? userId, string groupId, IDictionary<string, object?>? traits = null, MessageOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        return Enqueue("group", userId, options, w =>
        {
            w.WriteString("groupId", groupId);
            WriteObject(w, "traits", traits);
        });
    }

    /// <summary>Two ids for the same user: <paramref name="previousId"/> (an anonymous id, say) is now <paramref name="userId"/>.</summary>
    public string Alias(string userId, string previousId, MessageOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        ArgumentException.ThrowIfNullOrEmpty(previousId);
        return Enqueue("alias", userId, options, w => w.WriteString("previousId", previousId));
    }

    /// <summary>Sends everything queued before this call; returns when it was sent or given up on.</summary>
    public Task FlushAsync(CancellationToken cancellation = default)
    {
        var target = Interlocked.Read(ref _enqueued);
        if (Interlocked.Read(ref _handled) >= target)
        {
            return Task.CompletedTask;
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_flushLock)
        {
            _flushWaiters.Add((target, done));
            _flushRequested.TrySetResult();
        }

        CompleteFlushWaiters();
        return done.Task.WaitAsync(cancellation);
    }

    /// <summary>As <see cref="FlushAsync"/>, blocking.</summary>
    public void Flush() => FlushAsync().GetAwaiter().GetResult();

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Sends what is queued (waiting at most <see cref="SluiceClientOptions.DisposeTimeout"/>), then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _queue.Writer.TryComplete();
        try
        {
            await FlushAsync().WaitAsync(_options.DisposeTimeout, _options.Time);
        }
        catch (TimeoutException)
        {
            LogDisposeTimedOut(QueuedMessages, _options.DisposeTimeout.TotalSeconds);
        }

        await _stopping.CancelAsync();
        await _worker.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _sender.Dispose();
        _stopping.Dispose();
    }

    private string Enqueue(string type, string? userId, MessageOptions? options, Action<Utf8JsonWriter> writeFields)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) == 1, this);
        if (string.IsNullOrEmpty(userId) && string.IsNullOrEmpty(options?.AnonymousId))
        {
            throw new ArgumentException("a call needs a userId or an anonymousId (MessageOptions.AnonymousId)", nameof(userId));
        }

        var messageId = options?.MessageId ?? Guid.NewGuid().ToString();
        var json = Serialize(type, userId, messageId, options, writeFields);
        if (json.Length > MaxMessageBytes)
        {
            throw new MessageTooLargeException(json.Length, MaxMessageBytes);
        }

        // Counted before it can be sent, so that a flush never finishes before the message it should wait for.
        Interlocked.Increment(ref _enqueued);
        if (!_queue.Writer.TryWrite(new QueuedMessage(messageId, json)))
        {
            Interlocked.Decrement(ref _enqueued);
            Interlocked.Increment(ref _dropped);
            Report(new SluiceClientFailure([messageId], $"dropped: the queue holds at most {_options.MaxQueueSize:N0} messages and was full"));
        }

        return messageId;
    }

    private byte[] Serialize(string type, string? userId, string messageId, MessageOptions? options, Action<Utf8JsonWriter> writeFields)
    {
        // One buffer and writer per thread: a call then allocates little more than the message's own bytes.
        var (buffer, writer) = t_writer ??= (new ArrayBufferWriter<byte>(1024), new Utf8JsonWriter(Stream.Null));
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        {
            writer.WriteStartObject();
            writer.WriteString("type", type);
            writer.WriteString("messageId", messageId);
            WriteText(writer, "userId", userId);
            WriteText(writer, "anonymousId", options?.AnonymousId);
            writeFields(writer);
            writer.WriteString("timestamp", (options?.Timestamp ?? _options.Time.GetUtcNow()).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            writer.WritePropertyName("context");
            writer.WriteStartObject();
            foreach (var (key, value) in options?.Context ?? new Dictionary<string, object?>())
            {
                if (key != "library")
                {
                    writer.WritePropertyName(key);
                    JsonSerializer.Serialize(writer, value, Json.Options);
                }
            }

            writer.WritePropertyName("library");
            writer.WriteStartObject();
            writer.WriteString("name", "Sluice.Client");
            writer.WriteString("version", LibraryVersion);
            writer.WriteEndObject();
            writer.WriteEndObject();
            WriteObject(writer, "integrations", options?.Integrations);
            writer.WriteEndObject();
            writer.Flush();
        }

        var json = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > 64 * 1024)
        {
            // A huge message (refused anyway) must not keep its buffer alive on this thread.
            t_writer = null;
        }

        return json;
    }

    private static void WriteText(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static void WriteObject(Utf8JsonWriter writer, string name, IDictionary<string, object?>? value)
    {
        if (value is not null)
        {
            writer.WritePropertyName(name);
            JsonSerializer.Serialize(writer, value, Json.Options);
        }
    }

    /// <summary>
    /// Collects batches (up to <see cref="SluiceClientOptions.FlushAt"/> messages, under 500 KB) and
    /// sends them one at a time: a batch is due when full, when its first message has waited
    /// <see cref="SluiceClientOptions.FlushInterval"/>, or when a flush asks for it.
    /// </summary>
    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<QueuedMessage>(_options.FlushAt);
        var batchBytes = 0;
        QueuedMessage? carried = null;
        long firstAt = 0;
        while (true)
        {
            if (carried is { } first)
            {
                batch.Add(first);
                batchBytes = first.Json.Length;
                carried = null;
                firstAt = _options.Time.GetTimestamp();
            }

            while (batch.Count < _options.FlushAt && reader.TryRead(out var message))
            {
                if (batch.Count > 0 && batchBytes + message.Json.Length + 64 > MaxBatchBytes)
                {
                    carried = message;
                    break;
                }

                if (batch.Count == 0)
                {
                    firstAt = _options.Time.GetTimestamp();
                }

                batch.Add(message);
                batchBytes += message.Json.Length + 1;
            }

            var flushRequested = _flushRequested.Task.IsCompleted;
            var completed = reader.Completion.IsCompleted;
            var due = batch.Count >= _options.FlushAt || carried is not null || flushRequested || completed
                || (batch.Count > 0 && _options.Time.GetElapsedTime(firstAt) >= _options.FlushInterval);
            if (batch.Count > 0 && due)
            {
                await SendAsync(batch);
                Interlocked.Add(ref _handled, batch.Count);
                batch.Clear();
                batchBytes = 0;
                CompleteFlushWaiters();
                continue;
            }

            if (batch.Count == 0 && carried is null)
            {
                if (flushRequested)
                {
                    // The request ends only when no flush waits any more: one may have asked for a message still on its way in.
                    CompleteFlushWaiters();
                    lock (_flushLock)
                    {
                        if (_flushWaiters.Count == 0)
                        {
                            _flushRequested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                        }
                    }

                    if (!completed)
                    {
                        await Task.Yield();
                        continue;
                    }
                }

                if (completed)
                {
                    return;
                }
            }

            var wait = batch.Count == 0 ? Timeout.InfiniteTimeSpan : _options.FlushInterval - _options.Time.GetElapsedTime(firstAt);
            try
            {
                await Task.WhenAny(
                    reader.WaitToReadAsync(_stopping.Token).AsTask(),
                    _flushRequested.Task,
                    wait == Timeout.InfiniteTimeSpan ? Task.Delay(Timeout.Infinite, _stopping.Token) : Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, _options.Time, _stopping.Token));
            }
            catch (OperationCanceledException)
            {
            }

            if (_stopping.IsCancellationRequested)
            {
                if (batch.Count > 0)
                {
                    Report(new SluiceClientFailure([.. batch.Select(m => m.MessageId)], "not sent: the client was disposed before the server took them"));
                }

                return;
            }
        }
    }

    private async Task SendAsync(List<QueuedMessage> batch)
    {
        try
        {
            foreach (var failure in await _sender.SendAsync(batch, _stopping.Token))
            {
                Report(failure);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            Report(new SluiceClientFailure([.. batch.Select(m => m.MessageId)], "not sent: the client was disposed before the server took them"));
        }
    }

    private void CompleteFlushWaiters()
    {
        var handled = Interlocked.Read(ref _handled);
        var enqueued = Interlocked.Read(ref _enqueued);
        List<TaskCompletionSource> done;
        lock (_flushLock)
        {
            // Calls dropped for a full queue never count as handled, so a waiter also ends once nothing is left.
            done = [.. _flushWaiters.Where(w => handled >= w.Target || handled >= enqueued).Select(w => w.Done)];
            _flushWaiters.RemoveAll(w => handled >= w.Target || handled >= enqueued);
        }

        foreach (var waiter in done)
        {
            waiter.TrySetResult();
        }
    }

    private void Report(SluiceClientFailure failure)
    {
        LogFailed(failure.MessageIds.Count, failure.Reason);
        try
        {
            Failed?.Invoke(failure);
        }
        catch (Exception exception)
        {
            // A handler's bug must not stop the client.
            LogHandlerThrew(exception);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Sluice client: {Count} message(s) not delivered: {Reason}")]
    private partial void LogFailed(int count, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Sluice client: {Count} message(s) still queued when disposing timed out after {Seconds} s")]
    private partial void LogDisposeTimedOut(long count, double seconds);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "Sluice client: a Failed handler threw")]
    private partial void LogHandlerThrew(Exception exception);
}

internal sealed record QueuedMessage(string MessageId, byte[] Json);

internal static class Json
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = null, DictionaryKeyPolicy = null };
}
