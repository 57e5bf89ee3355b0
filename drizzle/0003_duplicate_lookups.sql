-- Written out by hand: drizzle-kit 0.31 cuts index expressions at their commas (the snapshot keeps its own form).
CREATE INDEX `actions_holder` ON `actions` (`target`,`type`,`tenant_id`);--> statement-breakpoint
CREATE INDEX `actions_isolation_name_0` ON `actions` (`type`,lower("target")) WHERE "actions"."type" = 'isolate_endpoint';--> statement-breakpoint
CREATE INDEX `actions_isolation_name_1` ON `actions` (`type`,lower(json_extract("parameters", '$.machine_id'))) WHERE "actions"."type" = 'isolate_endpoint';--> statement-breakpoint
CREATE INDEX `actions_isolation_name_2` ON `actions` (`type`,lower(json_extract("result", '$.machine_id'))) WHERE "actions"."type" = 'isolate_endpoint';--> statement-breakpoint
CREATE INDEX `actions_isolation_name_3` ON `actions` (`type`,lower(json_extract("result", '$.computer_dns_name'))) WHERE "actions"."type" = 'isolate_endpoint';--> statement-breakpoint
CREATE INDEX `actions_isolation_name_4` ON `actions` (`type`,lower(substr(json_extract("result", '$.computer_dns_name'), 1, instr(json_extract("result", '$.computer_dns_name') || '.', '.') - 1))) WHERE "actions"."type" = 'isolate_endpoint';
