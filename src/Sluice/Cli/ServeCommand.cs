using System.CommandLine;
using System.ComponentModel.DataAnnotations;
using System.Net;
using Sluice.Hosting;
using Sluice.Ingest;
using Sluice.Storage.Sqlite;
using Sluice.Workspace;

namespace Sluice.Cli;

/// <summary><c>sluice serve</c>: options win over the SLUICE_* environment variables, which win over the defaults.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string?>("--urls") { Description = $"Addresses to listen on (env SLUICE_URLS; default {ServeOptions.DefaultUrls})" };
        var data = new Option<string?>("--data") { Description = $"Directory of the embedded store (env SLUICE_DATA; default {ServeOptions.DefaultDataDirectory})" };
        var config = new Option<string?>("--config") { Description = "Workspace file, YAML (env SLUICE_CONFIG)" };
        var store = new Option<string?>("--store") { Description = "Storage backend: sqlite (embedded, default) or postgres (shared by several nodes) (env SLUICE_STORE)" };
        store.AcceptOnlyFromAmong("sqlite", "postgres");
        var postgres = new Option<string?>("--postgres") { Description = "PostgreSQL connection string, with --store postgres (env SLUICE_POSTGRES), e.g. \"Host=db;Database=sluice;Username=sluice;Password=…\"" };
        var trustedProxy = new Option<string[]>("--trusted-proxy") { Description = "A proxy whose X-Forwarded-For is believed (repeatable; env SLUICE_TRUSTED_PROXIES, comma-separated)", AllowMultipleArgumentsPerToken = false };
        var durability = new Option<string>("--durability") { Description = "full: fsync every commit (default); normal: survive process crashes but not power loss", DefaultValueFactory = _ => "full" };
        durability.AcceptOnlyFromAmong("full", "normal");
        var logFormat = new Option<string?>("--log-format") { Description = "text (default) or json: one JSON object per line (env SLUICE_LOG_FORMAT)" };
        logFormat.AcceptOnlyFromAmong("text", "json");
        var maxMessageBytes = new Option<int?>("--max-message-bytes") { Description = $"Largest single message in bytes (default {Spec.MessageLimits.DefaultMaxMessageBytes}, Segment's 32 KB)" };
        var deliveryRetention = new Option<string?>("--delivery-retention") { Description = "How long the delivery log keeps final records (default 7d)" };
        var destinationHosts = new Option<string?>("--destination-hosts") { Description = "any (default): destinations may be aimed at loopback, link-local and private addresses from the workspace file and by owners; public: only public addresses, for everyone (env SLUICE_DESTINATION_HOSTS)" };
        destinationHosts.AcceptOnlyFromAmong("any", "public");
        var eventRetention = new Option<string?>("--event-retention") { Description = "How long events are kept once every consumer has read them (env SLUICE_EVENT_RETENTION; default: kept)" };
        var leaseDuration = new Option<string?>("--lease-duration") { Description = "How long a node's claim on its log partitions lasts unrenewed: a killed node's partitions move to the others after it (env SLUICE_LEASE_DURATION; default 15s; at least 3s)" };
        var maxBatchBytes = new Option<int?>("--max-batch-bytes") { Description = $"Largest decoded batch body in bytes (default {Spec.MessageLimits.DefaultMaxBatchBytes}, Segment's 500 KB)" };

        var command = new Command("serve", "Run the Sluice server.") { urls, data, config, store, postgres, trustedProxy, durability, logFormat, maxMessageBytes, maxBatchBytes, deliveryRetention, destinationHosts, leaseDuration, eventRetention };
        command.SetAction(async (parse, cancellation) =>
        {
            var storeText = parse.GetValue(store) ?? Env("SLUICE_STORE") ?? "sqlite";
            if (storeText is not ("sqlite" or "postgres"))
            {
                await Console.Error.WriteLineAsync($"sluice: SLUICE_STORE '{storeText}' must be sqlite or postgres.");
                return 2;
            }

            var postgresText = parse.GetValue(postgres) ?? Env("SLUICE_POSTGRES");
            if (storeText == "postgres" && postgresText is null)
            {
                await Console.Error.WriteLineAsync("sluice: --store postgres needs a connection string: --postgres \"Host=…;Database=…;Username=…\" (or SLUICE_POSTGRES).");
                return 2;
            }

            if (storeText == "sqlite" && parse.GetValue(postgres) is not null)
            {
                await Console.Error.WriteLineAsync("sluice: --postgres is used with --store postgres (or SLUICE_STORE=postgres); without it the embedded store is used.");
                return 2;
            }

            var proxies = new List<IPAddress>();
            var proxyTexts = (parse.GetValue(trustedProxy) ?? []).Concat(
                (Environment.GetEnvironmentVariable("SLUICE_TRUSTED_PROXIES") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            foreach (var text in proxyTexts)
            {
                if (!IPAddress.TryParse(text, out var address))
                {
                    await Console.Error.WriteLineAsync($"sluice: --trusted-proxy '{text}' is not an IP address.");
                    return 2;
                }

                proxies.Add(address);
            }

            var retention = TimeSpan.FromDays(7);
            if (parse.GetValue(deliveryRetention) is { } retentionText && !DurationText.TryParse(retentionText, out retention))
            {
                await Console.Error.WriteLineAsync($"sluice: --delivery-retention '{retentionText}' is not {DurationText.Expected}.");
                return 2;
            }

            var lease = TimeSpan.FromSeconds(15);
            if ((parse.GetValue(leaseDuration) ?? Env("SLUICE_LEASE_DURATION")) is { } leaseText && (!DurationText.TryParse(leaseText, out lease) || lease < TimeSpan.FromSeconds(3)))
            {
                await Console.Error.WriteLineAsync($"sluice: --lease-duration '{leaseText}' must be a duration of at least 3s ({DurationText.Expected}).");
                return 2;
            }

            TimeSpan? events = null;
            if ((parse.GetValue(eventRetention) ?? Env("SLUICE_EVENT_RETENTION")) is { } eventsText)
            {
                if (!DurationText.TryParse(eventsText, out var kept))
                {
                    await Console.Error.WriteLineAsync($"sluice: --event-retention '{eventsText}' is not {DurationText.Expected}.");
                    return 2;
                }

                events = kept;
            }

            var hostsText = parse.GetValue(destinationHosts) ?? Env("SLUICE_DESTINATION_HOSTS") ?? "any";
            if (hostsText is not ("any" or "public"))
            {
                await Console.Error.WriteLineAsync($"sluice: SLUICE_DESTINATION_HOSTS '{hostsText}' must be any or public.");
                return 2;
            }

            var hosts = hostsText == "public" ? Delivery.DestinationHosts.Public : Delivery.DestinationHosts.Any;
            var options = new ServeOptions
            {
                Urls = parse.GetValue(urls) ?? Env("SLUICE_URLS") ?? ServeOptions.DefaultUrls,
                DataDirectory = parse.GetValue(data) ?? Env("SLUICE_DATA") ?? ServeOptions.DefaultDataDirectory,
                ConfigFile = parse.GetValue(config) ?? Env("SLUICE_CONFIG"),
                Store = storeText == "postgres" ? StoreKind.Postgres : StoreKind.Sqlite,
                PostgresConnection = postgresText,
                AdminToken = Env("SLUICE_ADMIN_TOKEN"),
                TrustedProxies = proxies,
                Durability = parse.GetValue(durability) == "normal" ? SqliteDurability.Normal : SqliteDurability.Full,
                JsonLogs = (parse.GetValue(logFormat) ?? Env("SLUICE_LOG_FORMAT")) == "json",
                Delivery = new Delivery.DeliveryOptions { Retention = retention, Hosts = hosts },
                EventLog = EventLog.EventLogOptions.WithLeaseDuration(lease) with { Retention = events },
                Ingest = new IngestOptions
                {
                    MaxMessageBytes = parse.GetValue(maxMessageBytes) ?? Spec.MessageLimits.DefaultMaxMessageBytes,
                    MaxBatchBytes = parse.GetValue(maxBatchBytes) ?? Spec.MessageLimits.DefaultMaxBatchBytes,
                },
            };

            if (ListenAddresses.FindBusy(options.Urls) is { } busy)
            {
                await Console.Error.WriteLineAsync($"sluice: cannot listen on {busy}. Choose another with --urls http://127.0.0.1:PORT (or SLUICE_URLS); nothing was created or changed.");
                return 2;
            }

            WebApplication app;
            try
            {
                app = SluiceServer.Build(options);
            }
            catch (WorkspaceFileException exception)
            {
                await Console.Error.WriteLineAsync("sluice: " + exception.Message);
                return 2;
            }
            catch (ValidationException exception)
            {
                await Console.Error.WriteLineAsync("sluice: " + exception.Message);
                return 2;
            }
            catch (ArgumentException exception) when (options.Store == StoreKind.Postgres)
            {
                await Console.Error.WriteLineAsync("sluice: " + exception.Message);
                return 2;
            }
            catch (Storage.Postgres.StoreSchemaTooNewException exception)
            {
                await Console.Error.WriteLineAsync("sluice: " + exception.Message);
                return 1;
            }
            catch (Npgsql.NpgsqlException exception)
            {
                await Console.Error.WriteLineAsync($"sluice: cannot use the PostgreSQL store: {exception.Message}{(exception.InnerException is { } inner ? $" ({inner.Message})" : "")}");
                return 1;
            }

            try
            {
                await app.RunAsync(cancellation);
            }
            catch (IOException exception) when (exception.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
            {
                // Taken between the check and the start: the data folder exists by now, so say how to get an owner token.
                await Console.Error.WriteLineAsync($"sluice: cannot listen on {options.Urls}: {exception.Message}. Choose another with --urls. If this was the first start, its owner token was not shown: start with SLUICE_ADMIN_TOKEN=sl_owner_<a long random text of your own> to use that text as one.");
                return 2;
            }

            return 0;
        });
        return command;
    }

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
