namespace NativeAotPersistence.Extensions.Tests;

public sealed record Profile(int Id, string Name, IReadOnlyList<string> Roles);

/// <summary>The generated serializers the tests cache through HybridCache.</summary>
[Payload(typeof(Profile))]
public partial class TestPayloads : PayloadContext
{
}
