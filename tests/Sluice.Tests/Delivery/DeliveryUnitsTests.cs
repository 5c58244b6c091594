using System.Text;
using Sluice.Routing;
using Sluice.Storage;
using Sluice.Workspace;

namespace Sluice.Delivery;

public sealed class DeliveryUnitsTests
{
    private static readonly RoutingTable Table = new(WorkspaceFileLoader.Parse("""
        sources: [{id: web}]
        destinations:
          - id: hook
            type: webhook
            sources: [web]
            mappings:
              - {name: one, action: send, trigger: 'type = "track"', mapping: {url: 'http://127.0.0.1:9/a', method: POST}}
        """, "w.yaml", _ => null));

    private static ClaimedDelivery Job(long id, string payload) =>
        new(id, "hook", "one", "send", $"m{id}", id, 0, 0, 0, Encoding.UTF8.GetBytes(payload));

    [Fact]
    public void Without_batching_each_job_is_a_request_of_its_own()
    {
        var units = DeliveryUnits.Of([Job(1, """{"url":"a"}"""), Job(2, """{"url":"a"}""")], Table).ToList();

        Assert.Equal([[1L], [2L]], units.Select(u => u.Select(j => j.Delivery.Id).ToList()));
    }

    [Fact]
    public void Batched_jobs_share_requests_by_their_batch_keys_up_to_the_batch_size()
    {
        const string a = """{"url":"a","method":"POST","batch_size":2,"batch_keys":["url"]}""";
        const string b = """{"url":"b","method":"POST","batch_size":2,"batch_keys":["url"]}""";

        var units = DeliveryUnits.Of([Job(1, a), Job(2, b), Job(3, a), Job(4, a)], Table).ToList();

        Assert.Equal([[1L, 3L], [2L], [4L]], units.Select(u => u.Select(j => j.Delivery.Id).Order().ToList()).OrderBy(u => u[0]).ToList());
    }
}
