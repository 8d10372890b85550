using BenchmarkDotNet.Running;
using NativeAotPersistence.Benchmarks;

if (args is ["--quick"])
{
    await QuickRatios.RunAsync();
    return;
}

if (args is ["--payload-alloc" or "payload-alloc"])
{
    PayloadAlloc.Run();
    return;
}

if (args is ["--icount", ..])
{
    await QuickRatios.InstructionCountAsync(args);
    return;
}

if (args is ["--profile", ..])
{
    await QuickRatios.ProfileAsync(args);
    return;
}

if (args is ["--writes", ..])
{
    await GroupCommitRatios.RunAsync(args);
    return;
}

if (args is ["--engine", ..])
{
    await EngineRatios.RunAsync(args);
    return;
}

if (args is ["--probe", ..])
{
    await ProbeLatency.RunAsync(args);
    return;
}

if (args is ["--ratelimit", ..])
{
    await RateLimitCosts.RunAsync(args);
    return;
}

if (args is ["--tags", ..])
{
    await TagCosts.RunAsync(args);
    return;
}

if (args is ["--getorset", ..])
{
    await GetOrSetCosts.RunAsync(args);
    return;
}

if (args is ["--rows", ..])
{
    await Rows.RunAsync(args);
    return;
}

if (args is ["--postgres", ..])
{
    await PostgresRatios.RunAsync(args);
    return;
}

if (args is ["--scaling", ..])
{
    Scaling.Run(args);
    return;
}

if (args is ["--scaling-child", ..])
{
    Scaling.Child(args);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
