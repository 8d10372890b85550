using System.Reflection;

namespace NativeAotPersistence.Generators.Tests;

/// <summary>A compiled copy of generated code, loaded into a collectible context.</summary>
internal sealed class Compiled : IDisposable
{
    private readonly System.Runtime.Loader.AssemblyLoadContext _context;

    private Compiled(System.Runtime.Loader.AssemblyLoadContext context, Assembly assembly)
    {
        _context = context;
        Assembly = assembly;
        Context = (PayloadContext)assembly.GetType("Parity.Ctx")!.GetProperty("Default")!.GetValue(null)!;
    }

    public Assembly Assembly { get; }

    public PayloadContext Context { get; }

    public static Compiled Load(string source, string policy, bool enumsAsNumbers)
    {
        var text = source.Replace("POLICY", policy, StringComparison.Ordinal).Replace("NUMBERS", enumsAsNumbers ? "true" : "false", StringComparison.Ordinal);
        var output = GeneratorDriverHelper.Run(text);
        Assert.Empty(output.Diagnostics);
        Assert.Empty(output.CompilationProblems);
        var (context, assembly) = GeneratorDriverHelper.Load(output.Compilation);
        return new Compiled(context, assembly);
    }

    public void Dispose() => _context.Unload();
}
