"""The results BENCHMARKS.md shows, in its order: each a title, a file or folder under bench/results, the command
that made it, and what to know about it. Add an entry here when a benchmark writes a result worth quoting."""

from __future__ import annotations

from dataclasses import dataclass

SCIFACT = (
    "--corpus ../shared/data/scifact-train/corpus.jsonl.gz --queries ../shared/data/scifact-train/queries.jsonl "
    "--qrels ../shared/data/scifact-train/qrels/train.tsv"
)


@dataclass(frozen=True)
class Entry:
    title: str
    result: str  # a file or folder under bench/results
    command: str
    about: str = ""
    printed: str = ""  # a file under bench/results holding the same tables, printed by the benchmark


ENTRIES = (
    Entry(
        "Answers that synthesise across papers: the research report set (30 questions)",
        "synthesis_report.txt",
        "python -m bench.synthesis_report --data bench/data/research_report.jsonl "
        "--run single-shot=bench/results/synthesis_new:single-shot --run today=bench/results/synthesis_base:adaptive "
        "--run parts=bench/results/synthesis_new:adaptive --run now=bench/results/synthesis_now:adaptive",
        "Facet recall is the share of a question's key facts the answer states (LLM-free; the facts were written "
        "with the questions, before any run). 'today' is the adaptive loop before #34 (766df30), 'parts' the "
        "part-by-part answers (a32b5bb), 'now' the same replies with the two later rules (the answer must answer; "
        "'not found' only when no passage holds the part), written after reading two of these answers. The "
        "machine ran tests and replays beside the runs: seconds are upper bounds, not comparable between runs.",
    ),
    Entry(
        "Reports on broad research questions",
        "bench_report.txt",
        "python -m bench.bench_report --data bench/data/research_tune.jsonl --data bench/data/research_report.jsonl "
        "--out bench/results/bench_report",
        "`agent.report` on the 8 broad questions of both research sets (a32b5bb); seconds shared the cores.",
    ),
    Entry(
        "Reports on broad research questions, sections split past four passages",
        "bench_report_now.txt",
        "python -m bench.bench_report --data bench/data/research_tune.jsonl --data bench/data/research_report.jsonl "
        "--out bench/results/bench_report_now",
        "The same 8 questions as the entry above, after the aspect split: every report cites at least 8 papers. "
        "Written after reading those reports (there are no other broad questions yet).",
    ),
    Entry(
        "Cold start: the README's first answer in a fresh process",
        "bench_cold.txt",
        "python -m bench.bench_cold --out bench/results/bench_cold.txt",
        "On an otherwise quiet machine. Opening the models takes 6.3 s and imports 0.2 s; the rest of a cold answer is "
        "the answer itself (this question's prompt and 1 LM call), so the 25 s goal of #35 is not met by start-up "
        "work: the saved prompt state already takes 12 s off the second process.",
    ),
    Entry(
        "sleuth mcp through the MCP SDK's client",
        "bench_mcp.txt",
        "python -m bench.bench_mcp --home /tmp/sleuth-bench-mcp --out bench/results/bench_mcp.txt",
        "One server process over stdio on the demo corpus with the bundled models: its resident memory after each "
        "of 20 sequential calls. Search, read and a repeated question (answered from memory, 0.0 s) leave it flat; "
        "each new question adds the engine's saved prompt states (+60-100 MB), which llama.cpp's RAM cache bounds "
        "at models.prompt_cache_mb (1 GB). Shared the cores with the agent benchmark.",
    ),
    Entry(
        "Zotero: a 200-item library, full and incremental ingests",
        "bench_zotero.txt",
        "python -m bench.bench_zotero --items 200 --out bench/results/bench_zotero.txt",
        "The library is written with Zotero's tables and columns (bench/zotero_library.py); each item a 2-page PDF.",
    ),
    Entry(
        "Retrieval on SciFact train (809 claims)",
        "bench_retrieval_scifact_train.txt",
        f"python -m bench.bench_retrieval {SCIFACT}",
        "Metrics from ir-measures, run on an otherwise idle machine; DBSF chosen on 400 claims "
        "(fusion_study_scifact_train.txt), held on the other 409.",
    ),
    Entry(
        "Retrieval on SciFact train, the earlier run (hand-written metrics, bf16 embedder)",
        "bench_retrieval_scifact_train_bf16.txt",
        f"python -m bench.bench_retrieval {SCIFACT}",
        "Superseded by the run above, which checked the ir-measures metrics against it: the same figures to four "
        "decimals except hybrid RRF (0.7288 then, 0.7275 now: its run changed); its latencies shared the cores.",
    ),
    Entry(
        "Fusion study (how DBSF was chosen)",
        "fusion_study_scifact_train.txt",
        f"python -m bench.fusion_study {SCIFACT} --tune 400",
    ),
    Entry(
        "LLM reranking study",
        "llm_rerank_study_scifact_train.txt",
        f"python -m bench.llm_rerank_study {SCIFACT} --every 16",
    ),
    Entry(
        "LLM-free multi-hop retrieval",
        "bench_multihop_train100.txt",
        "python -m bench.bench_multihop --data ../shared/data/hotpotqa-train100 --data ../shared/data/musique-train100",
        "HotpotQA train100 chose the fusion by best rank; MuSiQue chose nothing.",
    ),
    Entry(
        "Question-shape detector",
        "bench_shape.txt",
        "python -m bench.bench_shape --data ../shared/data/hotpotqa-train100 --data ../shared/data/musique-train100",
        "Written against HotpotQA train100's comparison labels; MuSiQue and the demo questions chose nothing.",
    ),
    Entry(
        "The research loop against single-shot RAG (current loop)",
        "bench_agent_runs",
        "python -m bench.bench_agent --data ../shared/data/hotpotqa-train100 "
        "--data ../shared/data/musique-train100 --data bench/data/demo_questions.jsonl --limit 60 "
        "--systems single-shot adaptive --out bench/results/bench_agent_runs",
        "Resumable: each run adds the questions not yet answered. Tables over the questions every system answered. "
        "Rows from commit ce87d6c, run from a snapshot of it (bench/results/bench_agent_runs/COMMIT): resume with "
        "the same snapshot. The demo questions ran on an idle machine; the HotpotQA and MuSiQue rows shared the "
        "2 cores with development, so their seconds are upper bounds.",
        printed="bench_agent_report.txt",
    ),
    Entry(
        "The research loop with bounded outputs (demo questions, before and after)",
        "bench_agent_bounded",
        "python -m bench.bench_agent --data ../shared/data/hotpotqa-train100 "
        "--data ../shared/data/musique-train100 --data bench/data/demo_questions.jsonl --limit 60 "
        "--systems single-shot adaptive --out bench/results/bench_agent_bounded",
        "Each file from a snapshot of one commit (bench/results/bench_agent_bounded/COMMIT): demo_questions at 396cc3d "
        "and HotpotQA / MuSiQue at f6a0164 (same agent code: the short answer, sub-questions and queries bounded in "
        "the JSON schema), the before-e2c685d files at the commit before. This machine's speed varied about 20% "
        "between runs (the two e2c685d runs wrote the same tokens): compare seconds within a file, tokens across "
        "files.",
        printed="bench_agent_bounded_report.txt",
    ),
    Entry(
        "Bounded outputs against the earlier run, system by system",
        "bench_agent_bounded_vs_runs.txt",
        "python -m bench.bench_agent --report --out bench/results/bench_agent_bounded "
        "--against bench/results/bench_agent_runs",
        "Each system of the bounded run against its own rows at ce87d6c (bench_agent_runs), same questions; the "
        "adaptive difference includes every change since ce87d6c, not only the bounds.",
    ),
    Entry(
        "Grammar-constrained generation: stock sampler against the greedy-first grammar",
        "bench_sampling.txt",
        "python -m bench.bench_sampling",
        "The agent's schema-constrained LM calls on the 8 demo questions, recorded, then replayed on a fresh model "
        "per sampler; generation alone (each prompt evaluated first), greedy decoding as the agent uses.",
    ),
    Entry(
        "The research loop with the greedy-first grammar (demo questions before and after; HotpotQA, MuSiQue)",
        "bench_agent_fastgrammar",
        "python -m bench.bench_agent --data ../shared/data/hotpotqa-train100 "
        "--data ../shared/data/musique-train100 --data bench/data/demo_questions.jsonl --limit 60 "
        "--systems single-shot adaptive --out bench/results/bench_agent_fastgrammar",
        "Each file from a snapshot of one commit (bench/results/bench_agent_fastgrammar/COMMIT): demo_questions at "
        "013c3da and before-dac0969 at the commit before, run back to back (same tokens; a test suite shared the "
        "machine during the before-run's first question); HotpotQA / MuSiQue questions 1-31 at 0243561, 32-60 at "
        "0bb5c1d (same agent code; their LM replies recorded in bench/results/replies/qwen2.5-coder-1.5b.jsonl).",
        printed="bench_agent_fastgrammar_report.txt",
    ),
    Entry(
        "Greedy-first grammar against the bounded run, system by system",
        "bench_agent_fastgrammar_vs_bounded.txt",
        "python -m bench.bench_agent --report --out bench/results/bench_agent_fastgrammar "
        "--against bench/results/bench_agent_bounded",
        "All 60 + 60 questions, each system against its own rows of the bounded run (f6a0164): adaptive's F1 the "
        "same on every question, single-shot's on all but one per set; seconds from runs on different days.",
    ),
    Entry(
        "The short answer asked for on its own, on the stored answers (study)",
        "short_study.txt",
        "python -m bench.short_study bench/results/bench_agent_bounded --data ../shared/data/hotpotqa-train100 "
        "--data ../shared/data/musique-train100 --out bench/results/short_study",
        "The bounded run's 60 + 60 adaptive answers' sentences given to a separate AnswerPhrase prompt; HotpotQA "
        "train100 chose the gate (drafted short answer longer than three words); MuSiQue chose nothing.",
    ),
    Entry(
        "The research loop with the short answer named in a follow-up turn (HotpotQA, MuSiQue)",
        "bench_agent_phrase",
        "python -m bench.bench_agent --data ../shared/data/hotpotqa-train100 "
        "--data ../shared/data/musique-train100 --limit 60 --systems adaptive --out bench/results/bench_agent_phrase",
        "Adaptive only, from a snapshot of e102f2a (bench/results/bench_agent_phrase/COMMIT); single-shot's rows are "
        "those of bench_agent_fastgrammar (its code did not change).",
    ),
    Entry(
        "The research loop as the code is now (short-answer turn, attribution change reverted)",
        "bench_agent_phrase_final",
        "python -m bench.bench_agent --data ../shared/data/hotpotqa-train100 "
        "--data ../shared/data/musique-train100 --data bench/data/demo_questions.jsonl --limit 60 --systems adaptive "
        "--out bench/results/bench_agent_phrase_final --replay bench/results/replies/qwen2.5-coder-1.5b-e102f2a.jsonl",
        "Commit 24f90a1. HotpotQA/MuSiQue replayed from the e102f2a run's recorded LM replies (229 of 231 calls), so "
        "their seconds are not measurements; the demo questions ran on the model. single-shot rows copied from "
        "bench_agent_fastgrammar (bench/results/bench_agent_phrase_final/COMMIT).",
        printed="bench_agent_phrase_final_report.txt",
    ),
    Entry(
        "Held-out check of the short-answer turn (questions 61-100)",
        "bench_agent_phrase_heldout_report.txt",
        "python -m bench.bench_agent --data ../shared/data/hotpotqa-train100 "
        "--data ../shared/data/musique-train100 --skip 60 --limit 20 --systems single-shot adaptive "
        "--out bench/results/bench_agent_phrase_heldout (then --skip 80)",
        "Code of 24f90a1 (snapshots of 792cf50 and b441282, behaviour the same); 40 + 40 questions "
        "(bench/results/bench_agent_phrase_heldout/COMMIT).",
    ),
    Entry(
        "The question's chain first: first-round evidence with and without it (LLM-free)",
        "chain_study.txt",
        "python -m bench.chain_study --data ../shared/data/hotpotqa-train100 "
        "--data ../shared/data/musique-train100 --data bench/data/demo_questions.jsonl --limit 60; then "
        "--skip 60 --limit 40 without the demo questions",
        "The rule was chosen on questions 1-60 of HotpotQA and MuSiQue; 61-100 chose nothing.",
    ),
    Entry(
        "The research loop with the chain first, held out (questions 61-100)",
        "bench_agent_chain_heldout_report.txt",
        "python -m bench.bench_agent --data ../shared/data/hotpotqa-train100 "
        "--data ../shared/data/musique-train100 --skip 60 --limit 20 --systems adaptive "
        "--out bench/results/bench_agent_chain_heldout (then --skip 80)",
        "Commit d4d7eb4, every call on the model; single-shot rows copied from bench_agent_phrase_heldout "
        "(bench/results/bench_agent_chain_heldout/COMMIT).",
    ),
    Entry(
        "The chain first against the run before it, held out, question by question",
        "bench_agent_chain_heldout_vs_phrase.txt",
        "python -m bench.bench_agent --report --out bench/results/bench_agent_chain_heldout "
        "--against bench/results/bench_agent_phrase_heldout",
        "Adaptive (d4d7eb4) against adaptive (24f90a1) on questions 61-100.",
    ),
    Entry(
        "The research loop with the chain first (questions 1-60, which chose it)",
        "bench_agent_chain_report.txt",
        "python -m bench.bench_agent --data ../shared/data/hotpotqa-train100 "
        "--data ../shared/data/musique-train100 --limit 60 --systems adaptive --out bench/results/bench_agent_chain "
        "--replay <copy of bench/results/replies/qwen2.5-coder-1.5b-e102f2a.jsonl>",
        "Commit d4d7eb4; requests the e102f2a run made word for word replayed from its record (37 + 43 rows), "
        "the rest on the model (bench/results/bench_agent_chain/COMMIT).",
    ),
    Entry(
        "The chain first against the run before it (questions 1-60), question by question",
        "bench_agent_chain_vs_phrase.txt",
        "python -m bench.bench_agent --report --out bench/results/bench_agent_chain "
        "--against bench/results/bench_agent_phrase_final",
        "Adaptive (d4d7eb4) against adaptive (24f90a1) on the same 60 + 60 questions.",
    ),
    Entry(
        "Only the chain when it is complete (agent.chain_only, off by default), questions 1-60",
        "bench_agent_chain_only_vs_chain.txt",
        "SLEUTH_AGENT__CHAIN_ONLY=true python -m bench.bench_agent --data ../shared/data/hotpotqa-train100 "
        "--data ../shared/data/musique-train100 --limit 60 --systems adaptive "
        "--out bench/results/bench_agent_chain_only --replay <copy of the d4d7eb4 record>; then --report "
        "--against bench/results/bench_agent_chain",
        "Commit 06ce096; questions without a complete chain replayed (bench/results/bench_agent_chain_only/COMMIT).",
        printed="bench_agent_chain_only_report.txt",
    ),
    Entry(
        "Only the chain when it is complete, questions 61-100",
        "bench_agent_chain_only_heldout_vs_chain.txt",
        "SLEUTH_AGENT__CHAIN_ONLY=true python -m bench.bench_agent ... --skip 60 --limit 40 "
        "--out bench/results/bench_agent_chain_only_heldout; then --report --against "
        "bench/results/bench_agent_chain_heldout",
        "Commit 06ce096; not fully unseen for this setting (bench/results/bench_agent_chain_only_heldout/COMMIT).",
        printed="bench_agent_chain_only_heldout_report.txt",
    ),
    Entry(
        "A sentence bridging two linked passages cites both (attribution), questions 1-60",
        "bench_agent_bridge_vs_chain.txt",
        "python -m bench.bench_agent --data ../shared/data/hotpotqa-train100 "
        "--data ../shared/data/musique-train100 --limit 60 --systems adaptive --out bench/results/bench_agent_bridge "
        "--replay <the d4d7eb4 records>; then --report --against bench/results/bench_agent_chain",
        "Commit 5a38c06; every row replayed (the change is past the LM); not unseen for the rule "
        "(bench/results/bench_agent_bridge/COMMIT).",
        printed="bench_agent_bridge_report.txt",
    ),
    Entry(
        "A sentence bridging two linked passages cites both, questions 61-100",
        "bench_agent_bridge_heldout_vs_chain.txt",
        "python -m bench.bench_agent ... --skip 60 --limit 40 --out bench/results/bench_agent_bridge_heldout "
        "--replay <the d4d7eb4 records>; then --report --against bench/results/bench_agent_chain_heldout",
        "Commit 5a38c06; every row replayed; one held-out answer chose the link requirement "
        "(bench/results/bench_agent_bridge_heldout/COMMIT).",
        printed="bench_agent_bridge_heldout_report.txt",
    ),
    Entry(
        "Only the chain (now on by default) with bridged citations, questions 1-60",
        "bench_agent_chain_bridge_vs_bridge.txt",
        "python -m bench.bench_agent --data ../shared/data/hotpotqa-train100 "
        "--data ../shared/data/musique-train100 --limit 60 --systems adaptive "
        "--out bench/results/bench_agent_chain_bridge --replay <the d4d7eb4, 06ce096 and 5a38c06 records>; then "
        "--report --against bench/results/bench_agent_bridge",
        "Commit dec64c6; every row replayed (bench/results/bench_agent_chain_bridge/COMMIT).",
        printed="bench_agent_chain_bridge_report.txt",
    ),
    Entry(
        "Only the chain (now on by default) with bridged citations, questions 61-100",
        "bench_agent_chain_bridge_heldout_vs_bridge.txt",
        "python -m bench.bench_agent ... --skip 60 --limit 40 "
        "--out bench/results/bench_agent_chain_bridge_heldout --replay <the same records>; then --report --against "
        "bench/results/bench_agent_bridge_heldout",
        "Commit dec64c6; every row replayed; not fully unseen for chain_only "
        "(bench/results/bench_agent_chain_bridge_heldout/COMMIT).",
        printed="bench_agent_chain_bridge_heldout_report.txt",
    ),
    Entry(
        "The demo research questions re-run on the model (timing on the day)",
        "bench_agent_demo_rerun_report.txt",
        "python -m bench.bench_agent --data bench/data/demo_questions.jsonl --limit 8 --systems adaptive "
        "--out bench/results/bench_agent_demo_rerun",
        "Commit 66b6653; the same 8 answers as bench_agent_phrase_final, p50 18.4 s against 15.9 s there "
        "(bench/results/bench_agent_demo_rerun/COMMIT).",
    ),
    Entry(
        "The short-answer turn against the commit before it, question by question",
        "bench_agent_phrase_vs_fastgrammar.txt",
        "python -m bench.bench_agent --report --out bench/results/bench_agent_phrase "
        "--against bench/results/bench_agent_fastgrammar",
        "Adaptive (e102f2a) against adaptive (0243561 / 0bb5c1d) on the same 60 + 60 questions.",
    ),
    Entry(
        "The research loop through an OpenAI-compatible server (remote LM, schema sent)",
        "bench_agent_server_runs",
        "python -m bench.bench_agent --server --schema json_object --data bench/data/demo_questions.jsonl "
        "--data ../shared/data/hotpotqa-train100 --limit 60 --systems single-shot adaptive "
        "--out bench/results/bench_agent_server_runs",
        "llama-cpp-python's server with the bundled 1.5B on 127.0.0.1; rows from commit d4afadc, run from a snapshot "
        "of it (bench/results/bench_agent_server_runs/COMMIT). The server reports no prompt reuse, so 'reused' is 0.",
        printed="bench_agent_server_report.txt",
    ),
    Entry(
        "The research loop, previous partial run (commit f0bf8e3)",
        "bench_agent_runs_f0bf8e3",
        "python -m bench.bench_agent (same sets) --systems single-shot adaptive "
        "--out bench/results/bench_agent_runs_f0bf8e3 (commit f0bf8e3)",
        "Before the draft kept its sentences at the token limit (it paid a second call), with the 400-character "
        "sentence bound and no script guard; seconds contaminated by concurrent tests.",
    ),
    Entry(
        "The research loop, earlier version (all three systems, partial run)",
        "bench_agent_runs_loop_v1",
        "python -m bench.bench_agent (same sets) --out bench/results/bench_agent_runs_loop_v1 (commit 0450717)",
        "The loop before this version's short-answer, routing and attribution changes: the 'before' of the audit.",
    ),
    Entry(
        "The research loop with the short answer written first (superseded)",
        "bench_agent_report_short_answer_first.txt",
        "python -m bench.bench_agent (same sets), at commit 7f648dc",
        "The Signature then wrote the short answer before the sentences.",
    ),
    Entry(
        "Memory: rewordings, near misses",
        "bench_memory_hotpotqa.txt",
        "python -m bench.bench_memory --data ../shared/data/hotpotqa-train100",
    ),
    Entry(
        "Memory: feedback",
        "bench_memory_feedback_hotpotqa.txt",
        "python -m bench.bench_memory --data ../shared/data/hotpotqa-train100 --feedback-only",
    ),
    Entry(
        "Memory: an earlier run (rewordings asked after the feedback)",
        "bench_memory_hotpotqa_run1.txt",
        "python -m bench.bench_memory --data ../shared/data/hotpotqa-train100",
        "Superseded: its rewordings never retrieved the sources rated down, so its feedback count says nothing.",
    ),
    Entry(
        "Multi-hop fusion constants for the top 4 passages the draft reads",
        "hop_fusion_study_top4.txt",
        "python -m bench.hop_fusion_study --tune ../shared/data/hotpotqa-train100 "
        "--check ../shared/data/musique-train100",
        "LLM-free; HotpotQA train100 chooses (it also chose k_follow before), MuSiQue train100 reports. Today's "
        "(60, 1) stays.",
    ),
    Entry(
        "Ingest against LlamaIndex",
        "bench_ingest_scifact.txt",
        'pip install -e ".[bench]"; python -m bench.bench_ingest --corpus ../shared/data/scifact-train/corpus.jsonl.gz',
    ),
    Entry("PDF text extraction", "pdf_study.txt", "python -m bench.pdf_study"),
    Entry(
        "Scale: 1M chunks in the embedded index",
        "bench_scale_1m.txt",
        "python -m bench.bench_scale --points 1000000",
    ),
    Entry(
        "Scale: 1M chunks, noisier vectors",
        "bench_scale_1m_noise0.3.txt",
        "python -m bench.bench_scale --points 1000000 --noise 0.3",
    ),
    Entry(
        "Scale-out: ingest and evidence-only batches on 1 and 2 Ray workers",
        "bench_ray.txt",
        "python -m bench.bench_ray --corpus ../shared/data/scifact-train/corpus.jsonl.gz --docs 1000 "
        "--queries ../shared/data/scifact-train/queries.jsonl --questions 200",
        "A local Ray cluster of 2 CPUs on the 2-core machine, nothing else running (the agent benchmark running "
        "in the background was paused for it); the figures for 64 cores and a 3-node Qdrant cluster are "
        "arithmetic on the measured per-worker rates.",
    ),
    Entry("Demo questions, first session's loop", "bench_demo.txt", "python -m bench.bench_demo"),
    Entry(
        "Load: a 10,000-question evidence-only batch",
        "bench_load.txt",
        "python -m bench.bench_load --questions 10000 --out bench/results/bench_load.txt",
        "Questions/s and resident memory of `sleuth batch --no-answer --concurrency 2` in a child process; it "
        "shared the 2 cores with the agent benchmark, so its rate is a lower bound.",
    ),
    Entry(
        "Fuzzing the readers and input parsers",
        "fuzz/summary.txt",
        'pip install -e ".[bench]"; python -m bench.fuzz --seconds 90 --out bench/results/fuzz',
        "Inputs hypothesis tried per target and the crashes found. A first 8-second trial run found one crash "
        "(a questions file that is not UTF-8 broke `sleuth eval qa` with a UnicodeDecodeError, 2,529 of 4,870 "
        "inputs); it was fixed and became tests/test_fuzz_found.py before this run, which found none.",
    ),
)
