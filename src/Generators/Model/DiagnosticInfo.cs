namespace NativeAotPersistence.Generators.Model;

/// <summary>A diagnostic to report, as plain data: the descriptor id, where, and the message arguments.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> MessageArgs);
