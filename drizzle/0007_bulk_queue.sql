CREATE TABLE `bulks` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`tenant_id` text NOT NULL,
	`provider` text NOT NULL,
	`requested_by` text NOT NULL,
	`total` integer NOT NULL,
	`created_at` integer NOT NULL,
	`reverts` text
);
--> statement-breakpoint
DROP INDEX `actions_isolation_name_0`;--> statement-breakpoint
DROP INDEX `actions_isolation_name_1`;--> statement-breakpoint
DROP INDEX `actions_isolation_name_2`;--> statement-breakpoint
DROP INDEX `actions_isolation_name_3`;--> statement-breakpoint
DROP INDEX `actions_isolation_name_4`;--> statement-breakpoint
CREATE INDEX `actions_bulk` ON `actions` (json_extract("parameters", '$.bulk_id'),`id`) WHERE json_extract("actions"."parameters", '$.bulk_id') is not null;--> statement-breakpoint
CREATE INDEX `actions_isolation_name_0` ON `actions` (`type`,lower("target")) WHERE "actions"."type" = 'isolate_endpoint' and ("actions"."status" in ('queued', 'pending', 'in_progress') or "actions"."active" = 1);--> statement-breakpoint
CREATE INDEX `actions_isolation_name_1` ON `actions` (`type`,lower(json_extract("parameters", '$.machine_id'))) WHERE "actions"."type" = 'isolate_endpoint' and ("actions"."status" in ('queued', 'pending', 'in_progress') or "actions"."active" = 1);--> statement-breakpoint
CREATE INDEX `actions_isolation_name_2` ON `actions` (`type`,lower(json_extract("result", '$.machine_id'))) WHERE "actions"."type" = 'isolate_endpoint' and ("actions"."status" in ('queued', 'pending', 'in_progress') or "actions"."active" = 1);--> statement-breakpoint
CREATE INDEX `actions_isolation_name_3` ON `actions` (`type`,lower(json_extract("result", '$.computer_dns_name'))) WHERE "actions"."type" = 'isolate_endpoint' and ("actions"."status" in ('queued', 'pending', 'in_progress') or "actions"."active" = 1);--> statement-breakpoint
CREATE INDEX `actions_isolation_name_4` ON `actions` (`type`,lower(substr(json_extract("result", '$.computer_dns_name'), 1, instr(json_extract("result", '$.computer_dns_name') || '.', '.') - 1))) WHERE "actions"."type" = 'isolate_endpoint' and ("actions"."status" in ('queued', 'pending', 'in_progress') or "actions"."active" = 1);