namespace NativeAotPersistence.Tests.Docs;

internal sealed record OrderState(string Id, decimal Total, List<string> Lines);

internal sealed record ImportState(int NextRow);

internal sealed record Receipt(string Id, decimal Amount);

internal sealed record Order(string Id);

/// <summary>The payload types of the docs' examples (<see cref="DocExamplesTests"/>).</summary>
[Payload(typeof(OrderState))]
[Payload(typeof(ImportState))]
[Payload(typeof(Receipt))]
[Payload(typeof(Order))]
internal sealed partial class ReadmePayloads : PayloadContext;
