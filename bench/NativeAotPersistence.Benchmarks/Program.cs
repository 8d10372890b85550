using BenchmarkDotNet.Running;
using NativeAotPersistence.Benchmarks;

if (args is ["--quick"])
{
    await QuickRatios.RunAsync();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
