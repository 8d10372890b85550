using Microsoft.CodeAnalysis;

namespace NativeAotPersistence.Generators;

/// <summary>
/// Emits typed JSON serializers for the payload types of every <c>partial class X : PayloadContext</c>
/// marked with <c>[Payload(typeof(T))]</c>.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class PayloadGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
    }
}
