using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace NativeAotPersistence.Extensions.Tests;

/// <summary>Real hosts, as an app builds them, without appsettings files or environment variables.</summary>
internal static class TestHosts
{
    public static HostApplicationBuilder Builder(string contentRoot) =>
        Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = contentRoot });

    public static IHost Build(string contentRoot, Action<IServiceCollection> configure)
    {
        var builder = Builder(contentRoot);
        configure(builder.Services);
        return builder.Build();
    }
}
