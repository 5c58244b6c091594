using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Sluice.Infrastructure;

namespace Sluice.Admin.Privacy;

/// <summary>The retention settings through the Admin API: the serve options as defaults, saved settings shown back, checked fields, and the workspace file's section winning.</summary>
public sealed class RetentionEndpointsTests
{
    [Fact]
    public async Task Retention_is_saved_through_the_API_with_the_serve_options_as_defaults_and_a_bad_duration_names_its_field()
    {
        var workspace = await TestWorkspace.CreateAsync("sources: [{id: web}]\n");
        await using var server = await workspace.StartAsync();

        var before = JsonNode.Parse(await server.Admin.GetStringAsync("/api/v1/retention"))!;
        Assert.Equal("defaults", (string?)before["managedBy"]);
        Assert.Null(before["defaults"]!["events"]);
        Assert.Equal("7d", (string?)before["defaults"]!["deliveries"]);

        using (var refused = await server.Admin.PutAsJsonAsync("/api/v1/retention", new { events = "30d", sources = new { web = "a week" } }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            var error = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!;
            Assert.Equal(("sources.web", "duration"), ((string?)error["field"], (string?)error["rule"]));
        }

        using (var saved = await server.Admin.PutAsJsonAsync("/api/v1/retention", new { events = "30d", sources = new { web = "7d" }, destinations = new { hook = "36h" } }))
        {
            Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        }

        var after = JsonNode.Parse(await server.Admin.GetStringAsync("/api/v1/retention"))!;
        Assert.Equal("api", (string?)after["managedBy"]);
        Assert.Equal("30d", (string?)after["events"]);
        Assert.Null(after["deliveries"]);
        Assert.Equal("""{"web":"7d"}""", after["sources"]!.ToJsonString());
        Assert.Equal("""{"hook":"36h"}""", after["destinations"]!.ToJsonString());
    }

    [Fact]
    public async Task The_workspace_files_retention_section_is_shown_and_the_API_refuses_to_change_it()
    {
        var workspace = await TestWorkspace.CreateAsync("sources: [{id: web}]\nretention:\n  deliveries: 2d\n  sources: {web: 90d}\n");
        await using var server = await workspace.StartAsync();

        var shown = JsonNode.Parse(await server.Admin.GetStringAsync("/api/v1/retention"))!;
        Assert.Equal("workspace-file", (string?)shown["managedBy"]);
        Assert.Equal("2d", (string?)shown["deliveries"]);
        Assert.Equal("90d", (string?)shown["sources"]!["web"]);
        using var refused = await server.Admin.PutAsJsonAsync("/api/v1/retention", new { events = "30d" });
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("managed_by_file", (string?)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!["code"]);
    }
}
