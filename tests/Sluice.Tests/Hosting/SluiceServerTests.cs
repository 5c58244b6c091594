using Microsoft.Extensions.Configuration;
using Sluice.Infrastructure;

namespace Sluice.Hosting;

/// <summary>How the server's host is built.</summary>
public sealed class SluiceServerTests
{
    [Fact]
    public async Task No_configuration_file_is_watched_since_a_watcher_of_the_working_directory_wakes_on_every_write_of_the_data_folder_under_it()
    {
        await using var sluice = await InProcessServer.StartAsync();
        var configuration = (IConfigurationRoot)sluice.Services.GetService(typeof(IConfiguration))!;

        var files = configuration.Providers.OfType<FileConfigurationProvider>().ToList();

        Assert.NotEmpty(files);
        Assert.All(files, file => Assert.False(file.Source.ReloadOnChange, $"{file.Source.Path} is watched for changes"));
    }
}
