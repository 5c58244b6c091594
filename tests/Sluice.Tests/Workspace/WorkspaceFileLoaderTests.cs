namespace Sluice.Workspace;

public sealed class WorkspaceFileLoaderTests
{
    private const string ContractExample = """
        sources:
          - id: web
            name: Website
            writeKey: wk_web_123
        destinations:
          - id: fullstory-prod
            type: actions-fullstory-cloud
            sources: [web]
            enabled: true
            settings:
              apiKey: ${FULLSTORY_API_KEY}
              baseUrl: http://127.0.0.1:9000
            presets: true
            mappings:
              - name: Orders
                action: trackEventV2
                trigger: 'type = "track" and event = "Order Completed"'
                mapping:
                  name: { '@path': '$.event' }
                  properties: { '@path': '$.properties' }
            filters:
              - name: drop internal
                if: 'properties.internal = true'
                drop: true
              - name: keep a tenth
                sample: 10
              - name: no ip
                block: [context.ip]
        """;

    private static string? Env(string name) => name == "FULLSTORY_API_KEY" ? "fs-secret" : null;

    [Fact]
    public void The_contract_example_loads_with_environment_variables_substituted()
    {
        var workspace = WorkspaceFileLoader.Parse(ContractExample, "sluice.yaml", Env);

        var source = Assert.Single(workspace.Sources);
        Assert.Equal(new SourceDefinition("web", "Website", "wk_web_123"), source);
        var destination = Assert.Single(workspace.Destinations);
        Assert.Equal("actions-fullstory-cloud", destination.Type);
        Assert.Equal(["web"], destination.Sources);
        Assert.Equal("fs-secret", (string?)destination.Settings["apiKey"]);
        var mapping = Assert.Single(destination.Mappings);
        Assert.Equal("trackEventV2", mapping.Action);
        Assert.Equal("$.event", (string?)mapping.Mapping["name"]!["@path"]);
        Assert.Equal(3, destination.Filters.Count);
        Assert.True(destination.Filters[0].Drop);
        Assert.Equal(10, destination.Filters[1].Sample);
        Assert.Equal(["context.ip"], destination.Filters[2].Block);
    }

    [Fact]
    public void Plain_YAML_scalars_keep_their_type_in_mappings_and_quoted_ones_are_strings()
    {
        var workspace = WorkspaceFileLoader.Parse("""
            sources: [{id: web}]
            destinations:
              - id: hook
                type: webhook
                sources: [web]
                settings: { retries: 3, ratio: 0.5, on: true, off: "false", none: null }
            """, "w.yaml");

        var settings = workspace.Destinations[0].Settings;
        Assert.Equal(3, (long)settings["retries"]!);
        Assert.Equal(0.5, (double)settings["ratio"]!);
        Assert.True((bool)settings["on"]!);
        Assert.Equal("false", (string?)settings["off"]);
        Assert.Null(settings["none"]);
    }

    [Fact]
    public void A_value_from_the_environment_stays_a_string()
    {
        var workspace = WorkspaceFileLoader.Parse(
            "sources: [{id: web}]\ndestinations:\n  - id: d\n    type: webhook\n    sources: [web]\n    settings:\n      apiKey: ${KEY}\n",
            "w.yaml",
            name => name == "KEY" ? "00123" : null);

        Assert.Equal("00123", (string?)workspace.Destinations[0].Settings["apiKey"]);
    }

    [Fact]
    public void The_retry_window_is_four_hours_unless_the_destination_sets_one()
    {
        var workspace = WorkspaceFileLoader.Parse("sources: [{id: web}]\ndestinations:\n  - {id: a, type: webhook, sources: [web]}\n  - {id: b, type: webhook, sources: [web], retryWindow: 30m}\n", "w.yaml");

        Assert.Equal(TimeSpan.FromHours(4), workspace.Destinations[0].RetryWindow);
        Assert.Equal(TimeSpan.FromMinutes(30), workspace.Destinations[1].RetryWindow);
    }

    [Fact]
    public void FQL_that_Segment_reads_differently_loads_with_a_warning_naming_its_place()
    {
        var workspace = WorkspaceFileLoader.Parse(
            "sources: [{id: web}]\ndestinations:\n  - id: d\n    type: webhook\n    sources: [web]\n    mappings:\n      - name: m\n        action: send\n        trigger: 'type = \"track\" and event = \"A\" or type = \"page\"'\n",
            "w.yaml");

        Assert.Contains(workspace.Warnings, w => w.StartsWith("w.yaml:9:18: destinations[0].mappings[0].trigger: position", StringComparison.Ordinal));
    }

    [Fact]
    public void A_setting_the_destination_does_not_know_loads_with_a_warning()
    {
        var workspace = WorkspaceFileLoader.Parse(
            "sources: [{id: web}]\ndestinations:\n  - id: d\n    type: stories\n    sources: [web]\n    settings:\n      apiKey: st-token-1\n      sharedSecrett: x\n      baseUrl: http://127.0.0.1:9\n",
            "w.yaml");

        var warning = Assert.Single(workspace.Warnings);
        Assert.Contains("Stories has no setting 'sharedSecrett'", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void A_destination_that_would_receive_nothing_loads_with_a_warning()
    {
        var workspace = WorkspaceFileLoader.Parse(
            "sources: [{id: web}]\ndestinations:\n  - {id: d, type: webhook, sources: [web]}\n  - {id: s, type: stories, sources: [web], presets: false, settings: {apiKey: st-token-1}}\n",
            "w.yaml");

        Assert.Equal(
            ["w.yaml:3:5: destinations[0]: no preset and no enabled mapping, so Webhook receives nothing", "w.yaml:4:5: destinations[1]: no preset and no enabled mapping, so Stories receives nothing"],
            workspace.Warnings);
    }

    [Fact]
    public void A_mapping_may_not_take_a_presets_name()
    {
        var error = Assert.Throws<WorkspaceFileException>(() => WorkspaceFileLoader.Parse(
            "sources: [{id: web}]\ndestinations:\n  - id: d\n    type: stories\n    sources: [web]\n    settings: {apiKey: st-token-1}\n    mappings:\n      - {name: Track, action: track, trigger: 'type = \"track\"'}\n",
            "w.yaml"));

        Assert.Contains("destinations[0].mappings[0].name: 'Track' is the name of one of Stories's presets", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Profiles_are_off_without_an_identity_section_and_an_empty_one_takes_Segments_defaults()
    {
        Assert.Null(WorkspaceFileLoader.Parse("sources: [{id: web}]\n", "w.yaml").Identity);
        var defaults = WorkspaceFileLoader.Parse("sources: [{id: web}]\nidentity: {}\n", "w.yaml").Identity;

        Assert.NotNull(defaults);
        Assert.Equal(new IdentifierRule(1, null, 1), defaults.RuleOf("user_id"));
        Assert.Equal(100, defaults.MaxMerges);
        Assert.False(defaults.AliasMerges);
    }

    [Fact]
    public void The_retention_section_sets_the_defaults_and_each_source_and_destination_kept_otherwise()
    {
        Assert.Null(WorkspaceFileLoader.Parse("sources: [{id: web}]\n", "w.yaml").Retention);
        var retention = WorkspaceFileLoader.Parse("""
            sources: [{id: web}, {id: app}]
            retention:
              events: 90d
              sources: {web: 30d}
              destinations: {fullstory: 12h}
            """, "w.yaml").Retention;

        Assert.NotNull(retention);
        Assert.Equal(TimeSpan.FromDays(90), retention.Events);
        Assert.Null(retention.Deliveries);
        Assert.Equal(TimeSpan.FromDays(30), retention.Sources["web"]);
        Assert.Equal(TimeSpan.FromHours(12), retention.Destinations["fullstory"]);
    }

    [Fact]
    public void The_engage_section_defines_computed_traits_and_audiences_keyed_by_their_names_in_snake_case_with_their_connections()
    {
        const string yaml = """
            identity: {}
            engage:
              computedTraits:
                - name: Orders in 30 days
                  query: event('Order Completed').within(30 days).count()
              audiences:
                - name: Big Spenders
                  key: big_spenders_v2
                  query: trait('orders_in_30_days') >= 3
                  includeAnonymous: true
                  destinations: [hook, {id: crm, sendIdentify: false, sendTrack: true, enterEvent: Joined Big Spenders, exitEvent: Left Big Spenders}]
            """;

        var engage = WorkspaceFileLoader.Parse(yaml, "w.yaml").Engage!;

        Assert.Equal("orders_in_30_days", Assert.Single(engage.Traits).Key);
        var audience = Assert.Single(engage.Audiences);
        Assert.Equal(("big_spenders_v2", "Big Spenders", true), (audience.Key, audience.Name, audience.IncludeAnonymous));
        Assert.Equal(
            [new EngageConnection("hook"), new EngageConnection("crm") { SendIdentify = false, SendTrack = true, EnterEvent = "Joined Big Spenders", ExitEvent = "Left Big Spenders" }],
            audience.Destinations);
        Assert.Null(WorkspaceFileLoader.Parse("identity: {}\n", "w.yaml").Engage);
    }

    [Fact]
    public void The_identity_section_changes_only_what_it_names()
    {
        var settings = WorkspaceFileLoader.Parse("""
            identity:
              rules:
                anonymous_id: {limit: 3, window: 7d}
                app_id: {limit: 1, priority: 3}
              customKeys: [app_id]
              blockedValues: ["unknown"]
              maxMerges: 5
              aliasMerges: true
            """, "w.yaml").Identity!;

        var anonymous = settings.RuleOf("anonymous_id");
        Assert.Equal(new IdentifierRule(3, TimeSpan.FromDays(7), new IdentitySettings().RuleOf("anonymous_id").Priority), anonymous);
        Assert.Equal(new IdentifierRule(1, null, 3), settings.RuleOf("app_id"));
        Assert.Equal(["app_id"], settings.CustomKeys);
        Assert.True(settings.IsBlocked("unknown"));
        Assert.False(settings.IsBlocked("anonymous"));
        Assert.True(settings.IsBlocked("0000"));
        Assert.Equal(5, settings.MaxMerges);
        Assert.Equal(1_000, settings.MaxIdentifiers);
        Assert.True(settings.AliasMerges);
    }

    [Fact]
    public void A_source_without_a_name_is_named_by_its_id_and_a_missing_write_key_is_left_to_generate()
    {
        var source = Assert.Single(WorkspaceFileLoader.Parse("sources:\n  - id: app\n", "w.yaml").Sources);

        Assert.Equal(new SourceDefinition("app", "app", null), source);
    }

    [Theory]
    [InlineData("sources:\n  - id: web\n    colour: blue\n", "w.yaml:3:5: sources[0]: unknown key 'colour'")]
    [InlineData("sources:\n  - id: Web_1\n", "w.yaml:2:9: sources[0].id: 'Web_1' is not a valid id")]
    [InlineData("sources:\n  - id: web\n  - id: web\n", "w.yaml:3:5: sources[1].id: duplicate source id 'web'")]
    [InlineData("sources:\n  - name: x\n", "w.yaml:2:5: sources[0]: 'id' is required")]
    [InlineData("sources:\n  - {id: a, writeKey: k}\n  - {id: b, writeKey: k}\n", "sources[1].writeKey: this write key is already used")]
    [InlineData("sources: [{id: web}]\ndestinations:\n  - {id: d, type: mixpanel, sources: [web]}\n", "w.yaml:3:19: destinations[0].type: unknown destination type 'mixpanel'")]
    [InlineData("sources: [{id: web}]\ndestinations:\n  - {id: d, type: webhook, sources: [app]}\n", "destinations[0].sources[0]: no source has the id 'app'")]
    [InlineData("sources: [{id: web}]\ndestinations:\n  - {id: d, type: webhook, sources: [web]}\n  - {id: d, type: webhook, sources: [web]}\n", "destinations[1].id: duplicate destination id 'd'")]
    [InlineData("sources: [{id: web}]\ndestinations:\n  - {id: d, type: webhook, sources: [web], enabled: maybe}\n", "destinations[0].enabled: must be true or false")]
    [InlineData("sources: [{id: web}]\ndestinations:\n  - id: d\n    type: webhook\n    sources: [web]\n    mappings:\n      - {name: m, action: send}\n", "destinations[0].mappings[0]: 'trigger' is required")]
    [InlineData("sources: [{id: web}]\ndestinations:\n  - id: d\n    type: webhook\n    sources: [web]\n    filters:\n      - {name: f, drop: true, sample: 5}\n", "a filter needs exactly one of")]
    [InlineData("sources: [{id: web}]\ndestinations:\n  - id: d\n    type: webhook\n    sources: [web]\n    filters:\n      - {name: f, sample: 150}\n", "destinations[0].filters[0].sample: must be a number from 0 to 100")]
    [InlineData("sources: [{id: web}]\ndestinations:\n  - id: d\n    type: webhook\n    sources: [web]\n    mappings:\n      - name: m\n        action: send\n        trigger: 'type = \"track\" and'\n", "w.yaml:9:18: destinations[0].mappings[0].trigger: invalid FQL: position")]
    [InlineData("sources: [{id: web}]\ndestinations:\n  - id: d\n    type: webhook\n    sources: [web]\n    mappings:\n      - name: m\n        action: send\n        trigger: 'type = \"track\"'\n        mapping: {url: {'@path': 5}}\n", "destinations[0].mappings[0].mapping: /url/@path should be a string or a mapping directive but it is a number.")]
    [InlineData("sources: [{id: web}]\ndestinations:\n  - id: d\n    type: webhook\n    sources: [web]\n    filters:\n      - {name: f, if: 'properties.x >', drop: true}\n", "destinations[0].filters[0].if: invalid FQL: position")]
    [InlineData("sources: [{id: web}]\ndestinations:\n  - id: d\n    type: webhook\n    sources: [web]\n    mappings:\n      - name: m\n        action: post\n        trigger: 'type = \"track\"'\n", "w.yaml:8:17: destinations[0].mappings[0].action: Webhook has no action 'post'; it has: send")]
    [InlineData("sources: [{id: web}]\ndestinations:\n  - {id: d, type: webhook, sources: [web], retryWindow: 4 hours}\n", "destinations[0].retryWindow: must be a duration such as 90s, 30m, 4h or 7d")]
    [InlineData("sources: [{id: web}]\ndestinations:\n  - id: d\n    type: webhook\n    sources: [web]\n    filters:\n      - {name: '', if: 'event = \"x\"', drop: true}\n", "destinations[0].filters[0].name: must not be empty or blank")]
    [InlineData("sources: [{id: web}]\ndestinations:\n  - id: d\n    type: webhook\n    sources: [web]\n    filters:\n      - {name: '   ', if: 'event = \"x\"', drop: true}\n", "destinations[0].filters[0].name: must not be empty or blank")]
    [InlineData("sources: [{id: web}]\ndestinations:\n  - id: d\n    type: webhook\n    sources: [web]\n    filters:\n      - {name: a/b, if: 'event = \"x\"', drop: true}\n", "destinations[0].filters[0].name: must not contain /")]
    [InlineData("sources: [{id: web}]\ndestinations:\n  - id: d\n    type: webhook\n    sources: [web]\n    filters:\n      - {name: everything, drop: true}\n", "destinations[0].filters[0]: a drop filter needs if")]
    [InlineData("sources: [{id: web}]\ndestinations:\n  - id: d\n    type: webhook\n    sources: [web]\n    mappings:\n      - {name: '', action: send, trigger: 'type = \"track\"'}\n", "destinations[0].mappings[0].name: must not be empty or blank")]
    [InlineData("sources: [{id: web}]\ndestinations:\n  - id: d\n    type: webhook\n    sources: [web]\n    mappings:\n      - {name: m, action: send, trigger: 'type = \"track\"', mapping: {url: not a url, method: POST}}\n", "destinations[0].mappings[0].mapping.url: ")]
    [InlineData("sources: [{id: web}]\ndestinations:\n  - id: d\n    type: webhook\n    sources: [web]\n    mappings:\n      - {name: m, action: send, trigger: 'type = \"track\"', mapping: {url: 'https://x.example/in', method: post}}\n", "destinations[0].mappings[0].mapping.method: ")]
    [InlineData("sources:\n  - {id: web, allowedOrigins: ['https://shop.example/checkout']}\n", "sources[0].allowedOrigins[0]: 'https://shop.example/checkout' is not an origin")]
    [InlineData("sources:\n  - {id: web, allowedOrigins: https://shop.example}\n", "sources[0].allowedOrigins: must be a list of origins")]
    [InlineData("sources: [{id: web}]\ndestinations:\n  - {id: d, type: webhook, sources: [web], retryWindow: 99999999999d}\n", "destinations[0].retryWindow: must be a duration such as 90s, 30m, 4h or 7d, at most 3650d")]
    [InlineData("sources: [{id: web}]\ndestinations:\n  - {id: d, type: webhook, sources: [web], retryWindow: NaNs}\n", "destinations[0].retryWindow: must be a duration")]
    [InlineData("sources: [{id: web}]\ndestinations:\n  - {id: d, type: webhook, sources: [web], rateLimit: 1e-300}\n", "destinations[0].rateLimit: must be a number of requests per second from 0.001")]
    [InlineData("sources:\n  - id: web\n    writeKey: ${NOT_SET_ANYWHERE}\n", "w.yaml:3:15: sources[0].writeKey: environment variable NOT_SET_ANYWHERE is not set")]
    [InlineData("sources: [{id: web}\n", "w.yaml:2:1: not valid YAML")]
    [InlineData("surces: []\n", "w.yaml:1:1: (top level): unknown key 'surces'")]
    [InlineData("identity:\n  rules:\n    anonymous_id: {limit: 0}\n", "w.yaml:3:27: identity.rules.anonymous_id.limit: must be a whole number from 1 to 1000")]
    [InlineData("identity:\n  rules:\n    Anonymous_ID: {limit: 2}\n", "w.yaml:3:5: identity.rules: 'Anonymous_ID' is not an identifier type")]
    [InlineData("identity:\n  rules:\n    email: {limit: 2, windows: 7d}\n", "identity.rules.email: unknown key 'windows'")]
    [InlineData("identity:\n  blockedPatterns: ['(']\n", "w.yaml:2:21: identity.blockedPatterns[0]: not a regular expression")]
    [InlineData("identity:\n  aliasMerges: sometimes\n", "identity.aliasMerges: must be true or false")]
    [InlineData("identity:\n  maxMerges: -1\n", "identity.maxMerges: must be a whole number from 0 to 100000")]
    [InlineData("engage:\n  audiences: [{name: Buyers, query: \"event('Order Completed').count() >= 1\"}]\n", "w.yaml:2:3: engage: computed traits and audiences are computed on profiles: add an identity: section")]
    [InlineData("identity: {}\nengage:\n  audiences:\n    - name: Buyers\n      query: event('Order Completed').count() >=\n", "w.yaml:5:14: engage.audiences[0].query: position 35: expected a value")]
    [InlineData("identity: {}\nengage:\n  computedTraits:\n    - {name: Orders, key: Orders, query: \"event('X').count()\"}\n", "engage.computedTraits[0].key: 'Orders' is not a key")]
    [InlineData("identity: {}\nengage:\n  computedTraits: [{name: Orders, query: \"event('X').count()\"}]\n  audiences: [{name: orders, query: \"event('X').count() >= 1\"}]\n", "engage.audiences[0].key: the key 'orders' is already engage.computedTraits[0]'s")]
    [InlineData("identity: {}\nengage:\n  audiences: [{name: A, query: \"trait('b') = true\"}, {name: B, query: \"trait('a') = true\"}]\n", "engage: a: would create a cycle: a → b → a")]
    [InlineData("retention:\n  events: 30 days\n", "w.yaml:2:11: retention.events: must be a duration such as 90s, 30m, 4h or 7d")]
    [InlineData("retention:\n  sources: {web: forever}\n", "retention.sources.web: must be a duration")]
    [InlineData("retention:\n  deliverys: 7d\n", "retention: unknown key 'deliverys'")]
    public void A_bad_file_names_the_file_line_and_problem(string yaml, string expected)
    {
        var exception = Assert.Throws<WorkspaceFileException>(() => WorkspaceFileLoader.Parse(yaml, "w.yaml", _ => null, strict: true));

        Assert.Contains(exception.Problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void What_the_Admin_API_refuses_since_December_2026_loads_from_a_file_with_a_warning()
    {
        const string yaml = "sources: [{id: web}]\ndestinations:\n  - id: d\n    type: webhook\n    sources: [web]\n    filters:\n      - {name: '', drop: true}\n    mappings:\n      - {name: m, action: send, trigger: 'type = \"track\"', mapping: {url: not a url, method: POST}}\n";

        var loaded = WorkspaceFileLoader.Parse(yaml, "w.yaml", _ => null);

        Assert.Single(loaded.Destinations[0].Filters);
        Assert.Contains(loaded.Warnings, w => w.Contains("filters[0].name: must not be empty or blank", StringComparison.Ordinal));
        Assert.Contains(loaded.Warnings, w => w.Contains("a drop filter needs if", StringComparison.Ordinal));
        Assert.Contains(loaded.Warnings, w => w.Contains("mappings[0].mapping.url", StringComparison.Ordinal));
    }

    [Fact]
    public void More_than_50_mappings_on_one_destination_are_refused()
    {
        var mappings = string.Concat(Enumerable.Range(0, 51).Select(i => $"      - {{name: m{i}, action: send, trigger: 'type = \"track\"'}}\n"));
        var yaml = "sources: [{id: web}]\ndestinations:\n  - id: d\n    type: webhook\n    sources: [web]\n    mappings:\n" + mappings;

        var exception = Assert.Throws<WorkspaceFileException>(() => WorkspaceFileLoader.Parse(yaml, "w.yaml"));

        Assert.Contains(exception.Problems, p => p.Contains("at most 50 mappings", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var exception = Assert.Throws<WorkspaceFileException>(() => WorkspaceFileLoader.Parse("sources:\n  - id: A\n  - id: b\n    x: 1\n", "w.yaml"));

        Assert.Equal(2, exception.Problems.Count);
    }
}
