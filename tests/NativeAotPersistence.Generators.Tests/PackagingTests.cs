using System.IO.Compression;

namespace NativeAotPersistence.Generators.Tests;

/// <summary>
/// Packs the runtime, restores it into a throwaway consumer project from a local folder feed, builds and runs it.
/// Slow (two builds); filter it out with <c>--filter-not-trait "Category=Packaging"</c> when iterating.
/// </summary>
[Trait("Category", "Packaging")]
public sealed class PackagingTests
{
    [Fact]
    public void Runtime_package_ships_the_generator_and_a_consumer_gets_a_working_context()
    {
        var root = DiagnosticTests.RepositoryRoot();
        var work = Path.Combine(Path.GetTempPath(), "nap-pack-" + Guid.NewGuid().ToString("N"));
        var feed = Path.Combine(work, "feed");
        var consumer = Path.Combine(work, "consumer");
        Directory.CreateDirectory(feed);
        Directory.CreateDirectory(consumer);
        try
        {
            // A unique version keeps the machine-wide NuGet cache from serving an older package with the same number.
            var version = "0.0.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", System.Globalization.CultureInfo.InvariantCulture);
            DotnetCli.RunChecked(root, "pack", "src/Runtime", "-c", "Release", "-o", feed, "-p:Version=" + version);

            var package = Assert.Single(Directory.GetFiles(feed, "*.nupkg"));
            using (var zip = ZipFile.OpenRead(package))
            {
                var entries = zip.Entries.Select(static e => e.FullName).ToList();
                Assert.Contains("analyzers/dotnet/cs/NativeAotPersistence.Generators.dll", entries);
                Assert.Contains("lib/net10.0/NativeAotPersistence.dll", entries);
                Assert.DoesNotContain(entries, static e => e.StartsWith("lib/", StringComparison.Ordinal) && e.Contains("Generators", StringComparison.Ordinal));
            }

            File.WriteAllText(Path.Combine(consumer, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="local" value="{feed}" />
                    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
                  </packageSources>
                </configuration>
                """);
            File.WriteAllText(Path.Combine(consumer, "Consumer.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                    <EnableAotAnalyzer>true</EnableAotAnalyzer>
                    <EnableTrimAnalyzer>true</EnableTrimAnalyzer>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="NativeAotPersistence" Version="{version}" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(consumer, "Program.cs"), """
                using System.Text;
                using NativeAotPersistence;

                var info = ConsumerPayloads.Default.Order;
                var bytes = info.Serialize(new Order("A-1", 3, [Status.Open, Status.Closed]));
                Console.WriteLine(Encoding.UTF8.GetString(bytes));
                var again = info.Deserialize(bytes);
                Console.WriteLine($"{again.Id}/{again.Count}/{again.History.Count}");
                Console.WriteLine(ConsumerPayloads.Default.GetTypeInfo(typeof(Order)) == info);

                public enum Status { Open, Closed }

                public sealed record Order(string Id, int Count, List<Status> History);

                [Payload(typeof(Order))]
                internal partial class ConsumerPayloads : PayloadContext { }
                """);

            var output = DotnetCli.RunChecked(consumer, "run", "--project", consumer);
            Assert.Contains("""{"id":"A-1","count":3,"history":["Open","Closed"]}""", output, StringComparison.Ordinal);
            Assert.Contains("A-1/3/2", output, StringComparison.Ordinal);
            Assert.Contains("True", output, StringComparison.Ordinal);
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
